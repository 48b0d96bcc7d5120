import type { RowDataPacket } from 'mysql2/promise';
import type { LogEntry, Message } from '../../../shared/contracts/saver';
import type { PushKindName } from '../../../shared/protocol/codes';
import { createBatcher } from './batcher';
import type { DurableLogs, LoggedMessage, WatermarkWrite } from './durable-logs';
import { chunks, mergeDeltas, statsUpsert, valuesList, type Sql, type StatsDelta } from './saver-sql';

/** What the log half needs from the MySQL inbox: transactions, selects, single statements. */
export interface MysqlAccess {
  tx(what: string, build: () => Sql[]): Promise<void>;
  select<T extends RowDataPacket>(what: string, sql: string, params: unknown[]): Promise<T[]>;
  /** Runs one statement; answers affectedRows. */
  exec(what: string, sql: string, params: unknown[]): Promise<number>;
}

interface AppendJob {
  entry: LogEntry;
  keepUntil: number;
}

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const blob = (p: Uint8Array): Buffer => Buffer.from(p.buffer, p.byteOffset, p.byteLength);

function appendStatements(jobs: AppendJob[], size: number): Sql[] {
  const out: Sql[] = [];
  for (const part of chunks(jobs, size)) {
    const lp: unknown[] = [];
    const sp: unknown[] = [];
    const hp: unknown[] = [];
    for (const { entry: e, keepUntil } of part) {
      const m = e.message;
      lp.push(m.app, e.log, e.seq, m.id, m.kind, blob(m.payload), m.created, m.expires, m.qos);
      sp.push(m.app, m.id, m.kind, m.qos, m.created, m.expires, keepUntil);
      hp.push(m.app, e.log, e.seq, m.expires);
    }
    out.push({ sql: `INSERT IGNORE INTO log_messages (app, log, seq, id, kind, payload, created, expires, qos) VALUES ${valuesList(part.length, 9)}`, params: lp });
    out.push({
      sql:
        `INSERT INTO message_stats (app, id, kind, qos, created, expires, keep_until, logged) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, 1)').join(', ')}` +
        ' ON DUPLICATE KEY UPDATE kind = VALUES(kind), qos = VALUES(qos), created = VALUES(created), expires = VALUES(expires),' +
        ' keep_until = GREATEST(keep_until, VALUES(keep_until)), logged = 1, state = NULL',
      params: sp,
    });
    out.push({
      sql:
        `INSERT INTO log_heads (app, log, seq, max_expires) VALUES ${valuesList(part.length, 4)}` +
        ' ON DUPLICATE KEY UPDATE seq = GREATEST(seq, VALUES(seq)), max_expires = GREATEST(max_expires, VALUES(max_expires))',
      params: hp,
    });
  }
  return out;
}

/** One row per (app, device, log) with the highest seq and keep, in key order (lock order). */
function watermarkStatements(rows: WatermarkWrite[], size: number): Sql[] {
  const best = new Map<string, WatermarkWrite>();
  for (const r of rows) {
    const k = `${r.app}\u0000${r.device}\u0000${r.log}`;
    const cur = best.get(k);
    if (!cur) best.set(k, { ...r });
    else {
      cur.seq = Math.max(cur.seq, r.seq);
      cur.keepUntil = Math.max(cur.keepUntil, r.keepUntil);
    }
  }
  const merged = [...best.entries()].sort((a, b) => byKey(a[0], b[0])).map((e) => e[1]);
  const out: Sql[] = chunks(merged, size).map((part) => ({
    sql:
      `INSERT INTO watermarks (app, device, log, seq, keep_until) VALUES ${valuesList(part.length, 5)}` +
      ' ON DUPLICATE KEY UPDATE seq = GREATEST(seq, VALUES(seq)), keep_until = GREATEST(keep_until, VALUES(keep_until))',
    params: part.flatMap((r) => [r.app, r.device, r.log, r.seq, r.keepUntil]),
  }));
  const acked = rows.filter((r) => r.counted).map((r) => ({ app: r.app, id: r.id, delivered: 0, acked: 1, deadLettered: 0 }));
  for (const part of chunks(mergeDeltas(acked), size)) if (part.length > 0) out.push(statsUpsert(part));
  return out;
}

function toLogged(r: RowDataPacket): LoggedMessage {
  const log = String(r.log);
  const message: Message = {
    id: String(r.id),
    app: String(r.app),
    kind: String(r.kind) as PushKindName,
    payload: new Uint8Array(r.payload as Buffer),
    created: Number(r.created),
    expires: Number(r.expires),
    qos: Number(r.qos) === 0 ? 0 : 1,
  };
  if (log !== '') message.topic = log;
  return {
    message,
    log,
    seq: Number(r.seq),
    targets: 0,
    delivered: Number(r.delivered ?? 0),
    acked: Number(r.acked ?? 0),
    deadLettered: 0,
    keepUntil: Number(r.keep_until ?? r.expires),
  };
}

/** The log half of the MySQL durable copy: tables log_messages, log_heads, watermarks. */
export function createMysqlLogs(db: MysqlAccess, size: number): DurableLogs {
  const appends = createBatcher<AppendJob>({ maxItems: size, concurrency: 2, run: (jobs) => db.tx('log append', () => appendStatements(jobs, size)) });
  const marks = createBatcher<WatermarkWrite>({ maxItems: size, concurrency: 2, run: (rows) => db.tx('watermark', () => watermarkStatements(rows, size)) });
  const counts = createBatcher<StatsDelta>({
    maxItems: size,
    concurrency: 2,
    run: (deltas) => db.tx('delivered count', () => chunks(mergeDeltas(deltas), size).filter((p) => p.length > 0).map(statsUpsert)),
  });

  return {
    appendLog: (entry, keepUntil) => appends.add([{ entry, keepUntil }]),
    watermarks: (rows) => marks.add(rows),
    countDelivered: (list) => counts.add(list.map((c) => ({ app: c.app, id: c.id, delivered: c.delivered, acked: 0, deadLettered: 0 }))),
    async schedule(m, keepUntil) {
      await db.exec(
        'schedule',
        "INSERT INTO message_stats (app, id, kind, qos, created, expires, keep_until, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled')" +
          " ON DUPLICATE KEY UPDATE kind = VALUES(kind), qos = VALUES(qos), created = VALUES(created), expires = VALUES(expires), keep_until = VALUES(keep_until), state = 'scheduled'",
        [m.app, m.id, m.kind, m.qos, m.created, m.expires, keepUntil],
      );
    },
    async clearState(app, id) {
      await db.exec('status update', 'UPDATE message_stats SET state = NULL WHERE app = ? AND id = ?', [app, id]);
    },
    async cancel(app, id) {
      return (await db.exec('cancel', "UPDATE message_stats SET state = 'cancelled' WHERE app = ? AND id = ? AND state = 'scheduled'", [app, id])) === 1;
    },
    async scanLogHeads([app, log], limit) {
      const rows = await db.select<RowDataPacket>('log head scan', 'SELECT * FROM log_heads WHERE (app, log) > (?, ?) ORDER BY app, log LIMIT ?', [app, log, limit]);
      return rows.map((r) => ({ app: String(r.app), log: String(r.log), seq: Number(r.seq), maxExpires: Number(r.max_expires) }));
    },
    async scanLogs([app, log, seq], now, limit) {
      const rows = await db.select<RowDataPacket>(
        'log scan',
        `SELECT l.*, s.delivered, s.acked, s.keep_until FROM log_messages l LEFT JOIN message_stats s ON s.app = l.app AND s.id = l.id
         WHERE (l.app, l.log, l.seq) > (?, ?, ?) AND l.expires > ? ORDER BY l.app, l.log, l.seq LIMIT ?`,
        [app, log, seq, now, limit],
      );
      return rows.map(toLogged);
    },
    async scanWatermarks([app, device, log], now, limit) {
      const rows = await db.select<RowDataPacket>(
        'watermark scan',
        'SELECT * FROM watermarks WHERE (app, device, log) > (?, ?, ?) AND keep_until > ? ORDER BY app, device, log LIMIT ?',
        [app, device, log, now, limit],
      );
      return rows.map((r) => ({ app: String(r.app), device: String(r.device), log: String(r.log), seq: Number(r.seq), keepUntil: Number(r.keep_until) }));
    },
    async cleanupLogs(now, batch) {
      const n = await db.exec('log cleanup', 'DELETE FROM log_messages WHERE expires <= ? LIMIT ?', [now, batch]);
      await db.exec('watermark cleanup', 'DELETE FROM watermarks WHERE keep_until <= ? LIMIT ?', [now, batch]);
      return n;
    },
    drainLogs: async () => {
      await Promise.all([appends.drain(), marks.drain(), counts.drain()]);
    },
  };
}
