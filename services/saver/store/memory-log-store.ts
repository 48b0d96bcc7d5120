import type { LogAck, LogEntry, Message } from '../../../shared/contracts/saver';
import type { StoredMessage } from './durable-inbox';
import { keepUntil, logOf, type StatusExtras } from './saver-store';

/** A status record of the memory store: a message, its counters, and how it is special. */
export type MemoryRecord = StoredMessage & StatusExtras;

/** The memory store's records by recordKey(app, id). */
export type MemoryRecords = Map<string, MemoryRecord>;

export const recordKey = (a: string, b: string): string => `${a}\u0000${b}`;

/** One broadcast/topic log: the last seq handed out and the entries, ascending by seq. */
interface MemoryLog {
  seq: number;
  /** The latest expiry of any entry ever appended: a watermark is useless after it. */
  maxExpires: number;
  entries: LogEntry[];
}

/** A device's watermark in one log, kept until `keep`. */
interface Watermark {
  seq: number;
  keep: number;
}

/** The log half of the memory saver store. */
export interface MemoryLogs {
  appendLog(message: Message): Promise<number>;
  logSince(app: string, device: string, logs: string[], limit: number): Promise<LogEntry[]>;
  ackLog(acks: LogAck[]): Promise<void>;
  countLogDelivered(counts: { app: string; id: string; delivered: number }[]): Promise<void>;
  markScheduled(message: Message, sendAt: number): Promise<void>;
  markCancelled(app: string, id: string): Promise<boolean>;
  /** Removes at most `batch` expired log entries and forgets stale watermarks; returns how many entries. */
  cleanup(now: number, batch: number): number;
}

/** Index of the first entry with seq > after (entries ascend by seq). */
function firstAfter(entries: LogEntry[], after: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].seq > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function createMemoryLogs(records: MemoryRecords, opts: { statusRetentionMs: number }): MemoryLogs {
  const logs = new Map<string, MemoryLog>();
  const watermarks = new Map<string, Map<string, Watermark>>();

  const appendLog = async (message: Message): Promise<number> => {
    const k = recordKey(message.app, logOf(message));
    let log = logs.get(k);
    if (!log) logs.set(k, (log = { seq: 0, maxExpires: 0, entries: [] }));
    const seq = ++log.seq;
    log.maxExpires = Math.max(log.maxExpires, message.expires);
    log.entries.push({ log: logOf(message), seq, message });
    const rk = recordKey(message.app, message.id);
    const old = records.get(rk);
    const rec: MemoryRecord = old ?? { message, targets: 0, delivered: 0, acked: 0, deadLettered: 0, keepUntil: 0 };
    rec.message = message;
    rec.keepUntil = Math.max(rec.keepUntil, keepUntil(message, opts.statusRetentionMs));
    rec.logged = true;
    delete rec.state;
    records.set(rk, rec);
    return seq;
  };

  const logSince = async (app: string, device: string, names: string[], limit: number): Promise<LogEntry[]> => {
    const now = Date.now();
    const marks = watermarks.get(recordKey(app, device));
    const out: LogEntry[] = [];
    for (const name of new Set(names)) {
      const log = logs.get(recordKey(app, name));
      if (!log) continue;
      let n = 0;
      for (let i = firstAfter(log.entries, marks?.get(name)?.seq ?? 0); i < log.entries.length && n < limit; i++) {
        const e = log.entries[i];
        if (e.message.expires <= now) continue;
        out.push(e);
        n++;
      }
    }
    return out;
  };

  /** True when the log holds message id at seq (an ack of anything else is ignored). */
  const holds = (log: MemoryLog | undefined, seq: number, id: string): boolean => {
    if (!log) return false;
    const e = log.entries[firstAfter(log.entries, seq - 1)];
    return e !== undefined && e.seq === seq && e.message.id === id;
  };

  const ackLog = async (acks: LogAck[]): Promise<void> => {
    for (const a of acks) {
      const log = logs.get(recordKey(a.app, a.log));
      if (!holds(log, a.seq, a.id)) continue;
      const dk = recordKey(a.app, a.device);
      let marks = watermarks.get(dk);
      if (!marks) watermarks.set(dk, (marks = new Map()));
      const old = marks.get(a.log);
      if (old && old.seq >= a.seq) continue;
      marks.set(a.log, { seq: a.seq, keep: Math.max(old?.keep ?? 0, log?.maxExpires ?? 0) });
      const rec = records.get(recordKey(a.app, a.id));
      if (rec) rec.acked++;
    }
  };

  const countLogDelivered = async (counts: { app: string; id: string; delivered: number }[]): Promise<void> => {
    for (const c of counts) {
      const rec = records.get(recordKey(c.app, c.id));
      if (rec) rec.delivered += c.delivered;
    }
  };

  const markScheduled = async (message: Message, sendAt: number): Promise<void> => {
    const rk = recordKey(message.app, message.id);
    const old = records.get(rk);
    // Once it fired (stored/appended), a repeated markScheduled must not hide the real status.
    if (old && old.state === undefined) return;
    const keep = keepUntil(message, opts.statusRetentionMs, sendAt);
    records.set(rk, { message, targets: 0, delivered: 0, acked: 0, deadLettered: 0, keepUntil: keep, state: 'scheduled' });
  };

  const markCancelled = async (app: string, id: string): Promise<boolean> => {
    const rec = records.get(recordKey(app, id));
    if (rec?.state !== 'scheduled') return false;
    rec.state = 'cancelled';
    return true;
  };

  const cleanup = (now: number, batch: number): number => {
    let removed = 0;
    for (const log of logs.values()) {
      if (removed >= batch) break;
      const before = log.entries.length;
      let budget = batch - removed;
      log.entries = log.entries.filter((e) => e.message.expires > now || budget-- <= 0);
      removed += before - log.entries.length;
    }
    for (const [dk, marks] of watermarks) {
      for (const [name, w] of marks) if (w.keep <= now) marks.delete(name);
      if (marks.size === 0) watermarks.delete(dk);
    }
    return removed;
  };

  return { appendLog, logSince, ackLog, countLogDelivered, markScheduled, markCancelled, cleanup };
}
