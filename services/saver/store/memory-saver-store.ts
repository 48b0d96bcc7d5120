import type { DeviceKey } from '../../../shared/contracts/register';
import type { DeadLetter, Delivery, Message, MessageStatus } from '../../../shared/contracts/saver';
import { createMemoryLogs, recordKey as key, type MemoryRecord } from './memory-log-store';
import { keepUntil, onlineOnly, stateOf, type SaverStore, type StoreOptions } from './saver-store';

/** A message with its counters: the same record the durable copy keeps. */
type StatusRecord = MemoryRecord;

/** Attempts so far of one message in one device's inbox. */
interface Entry {
  attempts: number;
}

/** Everything in this process: the standalone saver. */
export function createMemorySaverStore(opts: StoreOptions & { deadLetterLimit: number }): SaverStore {
  const records = new Map<string, StatusRecord>();
  const inboxes = new Map<string, Map<string, Entry>>();
  const dead = new Map<string, DeadLetter[]>();
  const logs = createMemoryLogs(records, opts);

  const removeEntry = (d: Delivery): boolean => {
    const box = inboxes.get(key(d.app, d.device));
    if (!box?.delete(d.id)) return false;
    if (box.size === 0) inboxes.delete(key(d.app, d.device));
    return true;
  };

  const deadLetter = (d: Delivery, attempts: number, now: number): void => {
    let list = dead.get(d.app);
    if (!list) dead.set(d.app, (list = []));
    list.push({ app: d.app, device: d.device, id: d.id, attempts, at: now });
    if (list.length > opts.deadLetterLimit) list.splice(0, list.length - opts.deadLetterLimit);
  };

  const attemptOne = (d: Delivery, now: number): boolean => {
    const rec = records.get(key(d.app, d.id));
    if (!rec || rec.state) return false;
    if (rec.logged) {
      // A paced broadcast/topic message delivered one by one: no inbox entry, only counted.
      if (rec.message.expires <= now) return false;
      rec.delivered++;
      return true;
    }
    if (onlineOnly(rec.message)) {
      rec.delivered = Math.min(rec.targets, rec.delivered + 1);
      return true;
    }
    const entry = inboxes.get(key(d.app, d.device))?.get(d.id);
    if (!entry) return false;
    if (rec.message.expires <= now) {
      removeEntry(d);
      return false;
    }
    entry.attempts++;
    if (entry.attempts === 1) rec.delivered++;
    if (entry.attempts <= opts.maxAttempts) return true;
    removeEntry(d);
    rec.deadLettered++;
    deadLetter(d, entry.attempts - 1, now);
    return false;
  };

  const store = async (message: Message, targets: DeviceKey[]): Promise<void> => {
    const now = Date.now();
    const old = records.get(key(message.app, message.id));
    const rec: StatusRecord = old ?? {
      message,
      targets: 0,
      delivered: 0,
      acked: 0,
      deadLettered: 0,
      keepUntil: keepUntil(message, opts.statusRetentionMs),
    };
    delete rec.state;
    records.set(key(message.app, message.id), rec);
    const inboxed = !onlineOnly(message) && message.expires > now;
    for (const t of targets) {
      if (!inboxed) {
        rec.targets++;
        continue;
      }
      let box = inboxes.get(key(t.app, t.device));
      if (!box) inboxes.set(key(t.app, t.device), (box = new Map()));
      // Storing the same message twice for a device keeps one entry (and one target).
      if (!box.has(message.id)) {
        box.set(message.id, { attempts: 0 });
        rec.targets++;
      }
    }
  };

  const pending = async (app: string, device: string, limit = opts.pendingLimit): Promise<Message[]> => {
    const box = inboxes.get(key(app, device));
    if (!box) return [];
    const now = Date.now();
    const out: Message[] = [];
    for (const id of box.keys()) {
      const m = records.get(key(app, id))?.message;
      if (m && m.expires > now) out.push(m);
    }
    out.sort((a, b) => a.created - b.created);
    return out.length > limit ? out.slice(0, limit) : out;
  };

  const ack = async (acks: Delivery[]): Promise<number> => {
    let n = 0;
    for (const a of acks) {
      if (!removeEntry(a)) continue;
      const rec = records.get(key(a.app, a.id));
      if (rec) rec.acked++;
      n++;
    }
    return n;
  };

  const status = async (app: string, id: string): Promise<MessageStatus | undefined> => {
    const rec = records.get(key(app, id));
    if (!rec) return undefined;
    const m = rec.message;
    const counts = { targets: rec.targets, delivered: rec.delivered, acked: rec.acked, deadLettered: rec.deadLettered };
    const state = stateOf(m, counts, Date.now(), rec);
    return { id: m.id, app: m.app, kind: m.kind, qos: m.qos, created: m.created, expires: m.expires, state, ...counts };
  };

  const cleanup = async (now: number, batch: number): Promise<number> => {
    let removed = 0;
    for (const [boxKey, box] of inboxes) {
      const app = boxKey.slice(0, boxKey.indexOf('\u0000'));
      for (const id of box.keys()) {
        const m = records.get(key(app, id))?.message;
        if (m && m.expires > now) continue;
        box.delete(id);
        if (++removed >= batch) break;
      }
      if (box.size === 0) inboxes.delete(boxKey);
      if (removed >= batch) return removed;
    }
    for (const [k, rec] of records) {
      if (rec.keepUntil <= now) records.delete(k);
    }
    return removed + logs.cleanup(now, batch - removed);
  };

  return {
    start: async () => undefined,
    close: async () => undefined,
    store,
    pending,
    attempt: async (deliveries) => {
      const now = Date.now();
      return deliveries.map((d) => attemptOne(d, now));
    },
    ack,
    status,
    deadLetters: async (app, limit = 100) => (dead.get(app) ?? []).slice(-limit).reverse(),
    cleanup,
    appendLog: logs.appendLog,
    logSince: (app, device, names, limit = opts.pendingLimit) => logs.logSince(app, device, names, limit),
    ackLog: logs.ackLog,
    countLogDelivered: logs.countLogDelivered,
    markScheduled: logs.markScheduled,
    markCancelled: logs.markCancelled,
  };
}
