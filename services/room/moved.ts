/**
 * Where deliveries still addressed to a resumed connection's old id go. A center looks the
 * session up, then hands the push to the room; when the device resumed in between, the push
 * names the old connection id. A resume reloads nothing from the saver, so such a push must
 * reach the new connection here, or it would sit in the inbox until the device connects afresh:
 *   - while the resume is in progress (Auth checked, register call in flight) it joins the
 *     claimed grace entry's unacked frames, which the resume writes first;
 *   - once the connection is ready it is delivered to it;
 *   - if that connection dropped again, it joins that connection's own grace entry.
 * A push addressed to the new connection id can also come before the register's answer does
 * (the center read the new session meanwhile): it joins the claimed entry the same way.
 * Old ids are kept for keepMs (the room's graceMs: longer than any lookup-to-deliver delay).
 */
import { Phase, type ConnState } from './context';
import type { GraceEntry } from './grace';

interface Move {
  state: ConnState;
  /** The grace entry the resume claimed. */
  entry: GraceEntry;
  until: number;
}

export interface Moved {
  add(oldConnId: string, state: ConnState, entry: GraceEntry, now: number): void;
  /** The resume did not happen after all (register failed, the socket closed). */
  delete(oldConnId: string): void;
  /** The ready connection that took over oldConnId, if any. */
  ready(oldConnId: string): ConnState | undefined;
  /**
   * For an old id: the claimed entry while the resume is in progress, the new connection's id
   * once it dropped again. For the id of a connection still resuming: the claimed entry.
   */
  pending(connId: string): { entry: GraceEntry } | { connId: string } | undefined;
  sweep(now: number): void;
  size(): number;
}

export function createMoved(keepMs: number): Moved {
  // Insertion order is expiry order: every entry lives keepMs.
  const moves = new Map<string, Move>();
  // New connection id -> its move, until the resume is done (pending() drops it then).
  const resuming = new Map<string, Move>();
  return {
    add(oldConnId, state, entry, now) {
      moves.delete(oldConnId);
      const move = { state, entry, until: now + keepMs };
      moves.set(oldConnId, move);
      resuming.set(state.id, move);
    },
    delete(oldConnId) {
      const m = moves.get(oldConnId);
      if (m) resuming.delete(m.state.id);
      moves.delete(oldConnId);
    },
    ready(oldConnId) {
      const m = moves.get(oldConnId);
      return m && m.state.phase === Phase.Ready ? m.state : undefined;
    },
    pending(connId) {
      const r = resuming.get(connId);
      if (r && r.state.phase !== Phase.Ready && r.state.phase !== Phase.Closed) return { entry: r.entry };
      if (r) resuming.delete(connId);
      const m = moves.get(connId);
      if (!m || m.state.phase === Phase.Ready) return undefined;
      return m.state.phase === Phase.Closed ? { connId: m.state.id } : { entry: m.entry };
    },
    sweep(now) {
      for (const [id, m] of moves) {
        if (m.until > now) break;
        moves.delete(id);
        resuming.delete(m.state.id);
      }
    },
    size: () => moves.size,
  };
}
