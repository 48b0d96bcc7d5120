import type { SessionRef } from '../../shared/contracts/register';
import type { Binding } from './context';
import { createSweeper, type Sweepable } from './sweeper';

/**
 * What the room keeps of a connection that dropped for a reconnect-able reason, for graceMs:
 * its sessions stay registered (and touched) under the old connection id, so a flash reconnect
 * with Auth.resume = sessionId takes them over without reloading anything from the saver.
 */
export interface GraceEntry extends Sweepable {
  sessionId: string;
  /** The dropped connection's id: its sessions are still registered under it. */
  connId: string;
  bindings: Binding[];
  /** Sent and not acked qos 1 Push frames, oldest first (see ConnState.unacked). */
  unacked?: Map<string, Uint8Array>;
  /** ctx.logPublishes as the connection last knew it: a catch-up is needed when it moved. */
  logMark: number;
  /** The offline reason reported when the entry expires (the close code's name). */
  reason: string;
}

/**
 * The room-wide grace map: by session id (resume) and by connection id (deliveries, kicks and
 * replaced sessions aimed at the old connection). Expiry goes through a sweeper swept by the
 * room's one tick timer: no timer per entry.
 */
export interface Grace {
  keep(entry: GraceEntry): void;
  /**
   * Takes the entry out when the bindings name exactly its apps and devices; undefined when
   * there is none (unknown, expired, another room) or they differ.
   */
  claim(sessionId: string, bindings: Binding[], now: number): GraceEntry | undefined;
  byConn(connId: string): GraceEntry | undefined;
  /** Removes the entry (no expiry callback). */
  drop(entry: GraceEntry): void;
  /** Removes one app from the entry of a connection (the device registered again elsewhere); true when it was there. */
  dropApp(connId: string, app: string): boolean;
  /** Expires what is due: onExpire gets each entry, already removed. */
  sweep(now: number): void;
  /** Session refs of every entry (to touch them, or to register them again). */
  refs(): SessionRef[];
  entries(): IterableIterator<GraceEntry>;
  size(): number;
}

/** True when both lists name the same (app, device) pairs. */
function sameDevices(a: Binding[], b: Binding[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => b.some((y) => y.app === x.app && y.device === x.device));
}

export function createGrace(tickMs: number, onExpire: (entry: GraceEntry) => void): Grace {
  const bySession = new Map<string, GraceEntry>();
  const byConn = new Map<string, GraceEntry>();

  function remove(entry: GraceEntry): void {
    if (bySession.get(entry.sessionId) === entry) bySession.delete(entry.sessionId);
    if (byConn.get(entry.connId) === entry) byConn.delete(entry.connId);
    sweeper.remove(entry);
  }

  const sweeper = createSweeper<GraceEntry>(tickMs, (entry) => {
    remove(entry);
    onExpire(entry);
  });

  return {
    keep(entry) {
      const old = bySession.get(entry.sessionId);
      if (old) remove(old);
      bySession.set(entry.sessionId, entry);
      byConn.set(entry.connId, entry);
      sweeper.add(entry);
    },
    claim(sessionId, bindings, now) {
      const entry = bySession.get(sessionId);
      if (!entry || entry.deadline <= now || !sameDevices(entry.bindings, bindings)) return undefined;
      remove(entry);
      return entry;
    },
    byConn: (connId) => byConn.get(connId),
    drop: remove,
    dropApp(connId, app) {
      const entry = byConn.get(connId);
      const i = entry ? entry.bindings.findIndex((b) => b.app === app) : -1;
      if (!entry || i < 0) return false;
      entry.bindings = entry.bindings.filter((_b, j) => j !== i);
      if (entry.bindings.length === 0) remove(entry);
      return true;
    },
    sweep: (now) => sweeper.sweep(now),
    refs() {
      const refs: SessionRef[] = [];
      for (const e of bySession.values()) for (const b of e.bindings) refs.push({ app: b.app, device: b.device, connId: e.connId });
      return refs;
    },
    entries: () => bySession.values(),
    size: () => bySession.size,
  };
}
