import type { LogAck, LogEntry } from '../../shared/contracts/saver';
import { Lag, lagOf, logKey, type ConnState } from './context';

/** Where a broadcast/topic message sits: its app, log ('' = broadcast, else the topic) and seq. */
export interface LogRef {
  app: string;
  log: string;
  seq: number;
  /** The message's expiry (ms since the Unix epoch; 0 = none): past it, an ack is pointless. */
  expires: number;
}

/**
 * Room-wide memory of the log messages the room wrote, keyed by message id: ONE bounded map
 * for all connections (a broadcast to 10,000 sockets is one entry), so an Ack's ids can be told
 * apart (log -> saver.ackLog, the rest -> saver.ack). Oldest entries are forgotten first when
 * the map is full; an ack for a forgotten id leaves the watermark where it was (the device gets
 * that message again at its next connect: at least once).
 */
export interface LogIds {
  remember(id: string, ref: LogRef): void;
  /** The entry of a log message id, undefined when unknown or expired. */
  get(id: string, now: number): LogRef | undefined;
  size(): number;
}

export function createLogIds(max: number): LogIds {
  const refs = new Map<string, LogRef>();
  return {
    remember(id, ref) {
      if (refs.has(id)) {
        refs.set(id, ref);
        return;
      }
      if (refs.size >= max) {
        // A Map iterates in insertion order: the first key is the oldest.
        const oldest = refs.keys().next();
        if (!oldest.done) refs.delete(oldest.value);
      }
      refs.set(id, ref);
    },
    get(id, now) {
      const ref = refs.get(id);
      if (!ref) return undefined;
      if (ref.expires > 0 && ref.expires <= now) {
        refs.delete(id);
        return undefined;
      }
      return ref;
    },
    size: () => refs.size,
  };
}

/** Remembers log entries about to be written (catch-up, history after Subscribe). */
export function rememberEntries(ids: LogIds, entries: LogEntry[]): void {
  for (const e of entries) ids.remember(e.message.id, { app: e.message.app, log: e.log, seq: e.seq, expires: e.message.expires });
}

/** An Ack's ids split into inbox acks (per bound app, as before) and log acks (the message's app only). */
export interface SplitAcks {
  inbox: { app: string; device: string; id: string }[];
  log: LogAck[];
}

/** False for a log ack that could move a lagging connection's watermark over a skipped entry. */
function safeToAck(state: ConnState, ref: LogRef): boolean {
  if (lagOf(state) === Lag.None) return true;
  const limit = state.ackLimits?.get(logKey(ref.app, ref.log));
  return limit !== undefined && ref.seq <= limit;
}

/**
 * Splits acked ids: an id the room wrote as a log message becomes one LogAck for the binding of
 * its app (when that app is bound here); any other id is an inbox ack for every binding. A
 * lagging connection's log acks above its ackLimits are dropped: the catch-up resends those
 * entries and the client acks them again.
 */
export function splitAcks(ids: string[], state: ConnState, logIds: LogIds, now: number): SplitAcks {
  const out: SplitAcks = { inbox: [], log: [] };
  const bindings = state.bindings;
  for (const id of ids) {
    if (typeof id !== 'string' || id === '' || id.length > 256) continue;
    const ref = logIds.get(id, now);
    if (ref) {
      if (!safeToAck(state, ref)) continue;
      const b = bindings.find((x) => x.app === ref.app);
      if (b) out.log.push({ app: ref.app, device: b.device, log: ref.log, seq: ref.seq, id });
      continue;
    }
    for (const b of bindings) out.inbox.push({ app: b.app, device: b.device, id });
  }
  return out;
}
