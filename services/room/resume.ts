import type { Session } from '../../shared/contracts/register';
import { shouldReconnect } from '../../shared/protocol/codes';
import { clockNow } from '../../shared/lifecycle/clock';
import { Lag, lagOf, Phase, refsOf, slowOf, writeFrame, type Binding, type ConnState, type RoomContext } from './context';
import type { GraceEntry } from './grace';
import { catchUp } from './slow';
import { closeCodeName, reportOffline } from './status';
import { subscribeBindings } from './subscriptions';

/** A client's own normal close (1000) is a goodbye, not a dropped line: no grace. */
const NORMAL_CLOSURE = 1000;

function graceable(ctx: RoomContext, state: ConnState, code: number): boolean {
  return ctx.config.graceMs > 0 && !ctx.draining && state.closeReason === '' && state.sessionId !== '' && code !== NORMAL_CLOSURE && shouldReconnect(code);
}

/**
 * The close handler's part for an authenticated connection: a reconnect-able drop keeps its
 * sessions in the grace map (still registered, touched by the room); anything else unregisters
 * them (batched) and reports them offline.
 */
export function leaveBindings(ctx: RoomContext, state: ConnState, code: number): void {
  const reason = state.closeReason || closeCodeName(code);
  if (!graceable(ctx, state, code)) {
    for (const ref of refsOf(state)) ctx.unregisterQueue.push(ref);
    ctx.scheduleUnregister();
    reportOffline(ctx, state.bindings, reason);
    return;
  }
  const entry: GraceEntry = {
    sessionId: state.sessionId,
    connId: state.id,
    bindings: state.bindings,
    unacked: state.unacked,
    logMark: lagOf(state) === Lag.None ? state.logMark : -1,
    reason,
    deadline: clockNow() + ctx.config.graceMs,
    bucket: -1,
  };
  ctx.grace.keep(entry);
}

/** A grace entry ran out (or the room stops): unregister its sessions and report them offline. */
export function endGrace(ctx: RoomContext, entry: GraceEntry, reason = entry.reason): void {
  for (const b of entry.bindings) ctx.unregisterQueue.push({ app: b.app, device: b.device, connId: entry.connId });
  ctx.scheduleUnregister();
  reportOffline(ctx, entry.bindings, reason);
}

/** Auth.resume: the grace entry of that session id when the tokens name its apps and devices; it leaves the map. */
export function claimGrace(ctx: RoomContext, resume: string | null | undefined, bindings: Binding[]): GraceEntry | undefined {
  if (!resume || resume.length > 64) return undefined;
  return ctx.grace.claim(resume, bindings, clockNow());
}

/** New bindings (from the Auth's tokens) carry over the old ones' unacked backlog pages. */
export function carryBacklogs(bindings: Binding[], entry: GraceEntry): void {
  for (const b of bindings) b.backlog = entry.bindings.find((o) => o.app === b.app)?.backlog;
}

/**
 * After AuthOk{resumed}: writes the kept unacked frames (corked), subscribes the socket again
 * (broadcasts at once, the device's topics as register holds them: uWS forgets a closed socket's
 * topics and cannot be asked in the close handler) and, when logged broadcast/topic messages
 * went out since the connection last caught up, reads the logs above its watermarks (logSince;
 * never saver.pending: no reload).
 */
export async function resumeSession(ctx: RoomContext, state: ConnState, entry: GraceEntry): Promise<void> {
  ctx.metrics.resumes.inc();
  const ws = state.ws;
  const kept = entry.unacked;
  if (ws && kept && kept.size > 0) {
    state.unacked = kept;
    ws.cork(() => {
      for (const bytes of kept.values()) writeFrame(ctx, state, bytes, 'push');
    });
    ctx.metrics.pushesSent.inc(kept.size);
  }
  await subscribeBindings(ctx, state, state.bindings);
  if (entry.logMark === ctx.logPublishes || state.phase !== Phase.Ready) return;
  slowOf(state).catchupAt = clockNow();
  ctx.metrics.catchups.inc();
  await catchUp(ctx, state);
}

/**
 * What register.register answered it replaced, paired with the sessions just registered. Old
 * sessions of this resume (skipConn) are ours; those of a local grace entry are dropped from it
 * quietly (the device is back, here). The rest go to coordinator.replaced when their app has
 * singleLogin (the coordinator kicks the old connection, wherever it is).
 */
export function settleReplaced(ctx: RoomContext, sessions: Session[], replaced: Session[], skipConn?: string): void {
  if (!Array.isArray(replaced) || replaced.length === 0) return;
  const pairs: { now: Session; old: Session }[] = [];
  for (const old of replaced) {
    if (old.connId === skipConn) continue;
    if (old.roomId === ctx.roomId && ctx.grace.dropApp(old.connId, old.app)) continue;
    const now = sessions.find((s) => s.app === old.app && s.device === old.device);
    if (now) pairs.push({ now, old });
  }
  if (pairs.length > 0) void reportReplaced(ctx, pairs);
}

async function reportReplaced(ctx: RoomContext, pairs: { now: Session; old: Session }[]): Promise<void> {
  try {
    const single = new Set<string>();
    for (const app of new Set(pairs.map((p) => p.now.app))) if ((await ctx.apps.get(app))?.singleLogin) single.add(app);
    const mine = pairs.filter((p) => single.has(p.now.app));
    if (mine.length > 0) await ctx.coordinator.replaced(mine);
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.warn('single login: coordinator.replaced failed', { sessions: pairs.length, err });
  }
}
