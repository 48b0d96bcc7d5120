import type { Delivery } from '../../../shared/contracts/saver';

/** A statement and its parameters. */
export interface Sql {
  sql: string;
  params: unknown[];
}

/** Splits rows into chunks of at most size (one statement each). */
export function chunks<T>(rows: T[], size: number): T[][] {
  if (rows.length <= size) return [rows];
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** `(app = ? AND device = ? AND msg_id = ?) OR ...`: a range the primary key serves. */
export function inboxKeys(rows: Delivery[]): Sql {
  const params: unknown[] = [];
  for (const r of rows) params.push(r.app, r.device, r.id);
  return { sql: rows.map(() => '(app = ? AND device = ? AND msg_id = ?)').join(' OR '), params };
}

/** Per-message counter increments. */
export interface StatsDelta {
  app: string;
  id: string;
  delivered: number;
  acked: number;
  deadLettered: number;
}

/** Sums deltas per message, sorted by key so concurrent upserts lock rows in one order. */
export function mergeDeltas(deltas: StatsDelta[]): StatsDelta[] {
  const byKey = new Map<string, StatsDelta>();
  for (const d of deltas) {
    const k = `${d.app}\u0000${d.id}`;
    const cur = byKey.get(k);
    if (!cur) byKey.set(k, { ...d });
    else {
      cur.delivered += d.delivered;
      cur.acked += d.acked;
      cur.deadLettered += d.deadLettered;
    }
  }
  return [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

/** One multi-row upsert adding the deltas to message_stats. */
export function statsUpsert(deltas: StatsDelta[]): Sql {
  const params: unknown[] = [];
  for (const d of deltas) params.push(d.app, d.id, d.delivered, d.acked, d.deadLettered);
  return {
    sql:
      'INSERT INTO message_stats (app, id, delivered, acked, dead_lettered) VALUES ' +
      deltas.map(() => '(?, ?, ?, ?, ?)').join(', ') +
      ' ON DUPLICATE KEY UPDATE delivered = delivered + VALUES(delivered), acked = acked + VALUES(acked),' +
      ' dead_lettered = dead_lettered + VALUES(dead_lettered)',
    params,
  };
}

/** `(?, ?, ...), (?, ?, ...)` for n rows of width columns. */
export function valuesList(n: number, width: number): string {
  const one = `(${new Array(width).fill('?').join(', ')})`;
  return new Array(n).fill(one).join(', ');
}
