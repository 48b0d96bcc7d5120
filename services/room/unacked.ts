import type { RoomDelivery } from '../../shared/contracts/room';
import type { ConnState, RoomContext } from './context';
import type { GraceEntry } from './grace';
import { encodePush } from './push-frame';

type Unacked = Map<string, Uint8Array>;

/** Adds one sent qos 1 frame to a bounded list (a Map keeps insertion order: oldest first). */
export function keepFrame(list: Unacked, max: number, id: string, frame: Uint8Array): void {
  if (list.has(id)) list.delete(id);
  else if (list.size >= max) {
    const oldest = list.keys().next();
    if (!oldest.done) list.delete(oldest.value);
  }
  list.set(id, frame);
}

/** Remembers a qos 1 Push written to a connection until it is acked (for a resume). */
export function keepUnacked(ctx: RoomContext, state: ConnState, id: string, frame: Uint8Array): void {
  const max = ctx.config.unackedMax;
  if (max === 0) return;
  keepFrame((state.unacked ??= new Map()), max, id, frame);
}

/** Acked ids leave the list. */
export function forgetAcked(state: ConnState, ids: string[]): void {
  const list = state.unacked;
  if (!list) return;
  for (const id of ids) list.delete(id);
}

/** The grace entry holding connId's sessions: its own, or that of the resume that took them over (moved.ts). */
function graceEntryOf(ctx: RoomContext, connId: string): GraceEntry | undefined {
  const own = ctx.grace.byConn(connId);
  if (own) return own;
  const moved = ctx.moved.pending(connId);
  if (!moved) return undefined;
  return 'entry' in moved ? moved.entry : ctx.grace.byConn(moved.connId);
}

/**
 * A delivery aimed at a connection that dropped and is in its grace period: a qos 1 message is
 * kept with the session and written when it resumes (it stays stored in the saver anyway).
 * Answers true when it was kept.
 */
export function keepForGrace(ctx: RoomContext, d: RoomDelivery): boolean {
  const entry = graceEntryOf(ctx, d.connId);
  const m = d.message;
  // Log messages (paced broadcasts) are not: the resume's log catch-up resends them.
  if (!entry || ctx.config.unackedMax === 0 || !m || m.qos !== 1 || m.app !== d.app || typeof d.log === 'string') return false;
  if (!entry.bindings.some((b) => b.app === d.app && b.device === d.device)) return false;
  keepFrame((entry.unacked ??= new Map()), ctx.config.unackedMax, m.id, encodePush(m));
  return true;
}
