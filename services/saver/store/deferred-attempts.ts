import type { Delivery } from '../../../shared/contracts/saver';
import type { AttemptRow } from './durable-inbox';

/**
 * Attempt rows held for delayMs before they are written. Most deliveries are acked sooner, and
 * the ack deletes the inbox row the attempt would have updated, so an ack that finds its rows
 * here takes them out (and carries their `delivered` count): one MySQL write per delivery saved.
 * The durable attempt counts are advisory (Redis answers attempts; MySQL is read only to rebuild
 * Redis after it lost its data), so rows held at a crash cost at most that many extra deliveries.
 */
export interface DeferredAttempts {
  /** Holds the rows; resolves once they are written or taken by acks, rejects if the write fails. */
  add(rows: AttemptRow[]): Promise<void>;
  /** Takes the held rows of these acks out; answers, per ack, whether a first attempt was held. */
  take(acks: Delivery[]): boolean[];
  /** Writes everything held now (for close); resolves when written. */
  flush(): Promise<void>;
  /** Rows held now. */
  held(): number;
}

interface Held {
  row: AttemptRow;
  /** Attempts held for this delivery. */
  n: number;
}

interface Group {
  at: number;
  keys: string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const keyOf = (d: Delivery): string => `${d.app}\u0000${d.device}\u0000${d.id}`;

export function createDeferredAttempts(delayMs: number, write: (rows: AttemptRow[]) => Promise<void>): DeferredAttempts {
  const held = new Map<string, Held>();
  let groups: Group[] = [];
  let timer: NodeJS.Timeout | undefined;

  /** Writes the still-held rows of these groups and settles them with that write. */
  async function writeGroups(due: Group[]): Promise<void> {
    const rows: AttemptRow[] = [];
    for (const g of due) {
      for (const k of g.keys) {
        const h = held.get(k);
        if (!h) continue;
        held.delete(k);
        // attemptStatements counts repeats of one delivery: one row per attempt, `first` on one.
        for (let i = 0; i < h.n; i++) rows.push(i === 0 ? h.row : { ...h.row, first: false });
      }
    }
    try {
      if (rows.length > 0) await write(rows);
      for (const g of due) g.resolve();
    } catch (err) {
      for (const g of due) g.reject(err);
    }
  }

  function tick(): void {
    timer = undefined;
    const now = Date.now();
    let i = 0;
    while (i < groups.length && now - groups[i].at >= delayMs) i++;
    const due = groups.slice(0, i);
    groups = groups.slice(i);
    if (groups.length > 0) arm();
    if (due.length > 0) void writeGroups(due);
  }

  function arm(): void {
    if (timer || groups.length === 0) return;
    timer = setTimeout(tick, Math.max(1, groups[0].at + delayMs - Date.now()));
    timer.unref();
  }

  return {
    add(rows) {
      if (rows.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const keys: string[] = [];
        for (const r of rows) {
          const k = keyOf(r);
          const h = held.get(k);
          if (!h) held.set(k, { row: r, n: 1 });
          else {
            h.n++;
            if (r.first) h.row = { ...h.row, first: true };
          }
          keys.push(k);
        }
        groups.push({ at: Date.now(), keys, resolve, reject });
        arm();
      });
    },
    take(acks) {
      return acks.map((a) => {
        const k = keyOf(a);
        const h = held.get(k);
        if (!h) return false;
        held.delete(k);
        return h.row.first;
      });
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const all = groups;
      groups = [];
      // Failures reach the add() callers; flush only waits.
      await writeGroups(all);
    },
    held: () => held.size,
  };
}
