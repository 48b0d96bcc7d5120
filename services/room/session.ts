import type { Session } from '../../shared/contracts/register';
import type { ClientFrame } from '../../shared/protocol/codec';
import { randomBase64url } from '../../shared/random/random-pool';
import { CloseCode, ErrorCode } from '../../shared/protocol/codes';
import { clockNow } from '../../shared/lifecycle/clock';
import { checkToken, checkTokens, negotiateHeartbeat, networkName, type TokenRefusal } from './auth';
import { failConn, isClosed, Phase, refsOf, sendFrame, type Binding, type ConnState, type RoomContext } from './context';
import { deliverPending, drainedBacklogs } from './delivery';
import type { GraceEntry } from './grace';
import { splitAcks } from './log-ids';
import { carryBacklogs, claimGrace, endGrace, resumeSession, settleReplaced } from './resume';
import { createRegisterBatch, type RegisterBatch } from './register-batch';
import { OfflineReason, reportOffline, reportOnline } from './status';
import { subscribeBindings } from './subscriptions';
import { unsubscribeApp } from './topics';
import { forgetAcked } from './unacked';

type AuthBody = NonNullable<ClientFrame['auth']>;

/** Most ids one Ack frame may carry. */
export const MAX_ACK_IDS = 1000;

function sessionsOf(ctx: RoomContext, state: ConnState, bindings: Binding[]): Session[] {
  const since = Date.now();
  return bindings.map((b) => ({
    app: b.app,
    device: b.device,
    user: b.user,
    roomId: ctx.roomId,
    connId: state.id,
    since,
    platform: state.platform || undefined,
    network: state.network,
  }));
}

/** Distinct platform names kept (a handful in practice: ios, android, web...). */
const MAX_PLATFORMS = 256;
const platforms = new Map<string, string>();

/** The Auth's platform, cut to 64 chars; a known name is shared, not one string per connection. */
function platformOf(raw: string | null | undefined): string {
  const p = (raw ?? '').slice(0, 64);
  const known = platforms.get(p);
  if (known !== undefined) return known;
  if (platforms.size < MAX_PLATFORMS) platforms.set(p, p);
  return p;
}

/** One register batch per room: the registrations of connections authenticating in the same turn go in one call. */
const registerBatches = new WeakMap<RoomContext, RegisterBatch>();

function registerBatchOf(ctx: RoomContext): RegisterBatch {
  let b = registerBatches.get(ctx);
  if (!b) registerBatches.set(ctx, (b = createRegisterBatch({ register: (sessions) => ctx.register.register(sessions) })));
  return b;
}

/** Failures of the saver are not the client's: log and count, keep the connection (messages stay stored). */
async function softly(ctx: RoomContext, state: ConnState, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.warn(`${what} failed`, { conn: state.id, err });
  }
}

function appsOf(state: ConnState): string[] {
  return state.bindings.map((b) => b.app);
}

function refuseAuth(ctx: RoomContext, state: ConnState, r: TokenRefusal): void {
  ctx.metrics.authFailures[r.reason].inc();
  failConn(ctx, state, r.code, CloseCode.AuthFailed, r.message);
}

function unavailable(ctx: RoomContext, state: ConnState, what: string, err: unknown): void {
  ctx.metrics.errors.inc();
  ctx.log.error(`${what} failed`, { conn: state.id, err });
  failConn(ctx, state, ErrorCode.Unavailable, CloseCode.ServerError, `${what} unavailable, retry later`);
}

/**
 * Registers sessions; when the socket closed meanwhile, queues their unregister. False if gone.
 * The sessions register answers it replaced go to single login (settleReplaced); resumedConn
 * is the connection id a resume takes over (its sessions are not "replaced").
 */
async function registerLive(ctx: RoomContext, state: ConnState, bindings: Binding[], resumedConn?: string): Promise<boolean> {
  const sessions = sessionsOf(ctx, state, bindings);
  const replaced = await registerBatchOf(ctx).register(sessions);
  if (isClosed(state)) {
    ctx.unregisterQueue.push(...refsOf(state, bindings));
    ctx.scheduleUnregister();
    return false;
  }
  settleReplaced(ctx, sessions, replaced, resumedConn);
  return true;
}

/** Checks the Auth frame's tokens; a refusal closes the connection and answers undefined. */
async function authBindings(ctx: RoomContext, state: ConnState, auth: AuthBody): Promise<Binding[] | undefined> {
  const tokens = auth.tokens ?? [];
  if (tokens.length === 0) return void refuseAuth(ctx, state, { code: ErrorCode.BadToken, message: 'Auth has no tokens', reason: 'no_tokens' });
  if (tokens.length > ctx.config.maxTokens) {
    return void refuseAuth(ctx, state, { code: ErrorCode.BadToken, message: `at most ${ctx.config.maxTokens} tokens`, reason: 'bad_token' });
  }
  let checked: Awaited<ReturnType<typeof checkTokens>>;
  try {
    checked = await checkTokens(ctx.apps, tokens);
  } catch (err) {
    ctx.metrics.authFailures.unavailable.inc();
    return void unavailable(ctx, state, 'app store', err);
  }
  if (isClosed(state)) return undefined;
  if (!('bindings' in checked)) return void refuseAuth(ctx, state, checked);
  return checked.bindings;
}

/** The connection is authenticated: heartbeat, session id (a resume keeps its own), AuthOk. */
function authenticated(ctx: RoomContext, state: ConnState, seq: number, bindings: Binding[], entry: GraceEntry | undefined): void {
  const heartbeat = negotiateHeartbeat(ctx.config, state.network);
  state.bindings = bindings;
  state.sessionId = entry ? entry.sessionId : randomBase64url(16);
  state.silenceMs = heartbeat * 1000 * (ctx.config.heartbeatMisses + 1);
  state.deadline = clockNow() + state.silenceMs;
  // The heartbeat deadline may be earlier than the auth deadline: move it to its bucket.
  ctx.sweeper.add(state);
  state.phase = Phase.Ready;
  state.logMark = ctx.logPublishes;
  const authOk = { sessionId: state.sessionId, heartbeatSeconds: heartbeat, serverTime: Date.now(), apps: appsOf(state), resumed: !!entry };
  sendFrame(ctx, state, { seq, authOk }, 'authOk');
}

/**
 * Auth: check every token, register one session per app (one call), AuthOk, then pending. With
 * resume = a session id in the grace map and tokens for the same apps and devices, the session
 * is taken over instead (topics, unacked messages; no pending reload).
 */
export async function handleAuth(ctx: RoomContext, state: ConnState, seq: number, auth: AuthBody): Promise<void> {
  state.phase = Phase.Authing;
  const bindings = await authBindings(ctx, state, auth);
  if (!bindings) return;
  state.network = networkName(auth.network);
  state.platform = platformOf(auth.platform);
  const entry = claimGrace(ctx, auth.resume, bindings);
  if (entry) ctx.moved.add(entry.connId, state, entry, clockNow());
  try {
    if (!(await registerLive(ctx, state, bindings, entry?.connId))) {
      if (entry) {
        ctx.moved.delete(entry.connId);
        endGrace(ctx, entry);
      }
      return;
    }
  } catch (err) {
    // The old sessions are still registered under the old connection: keep them for another try.
    if (entry) {
      ctx.moved.delete(entry.connId);
      ctx.grace.keep(entry);
    }
    ctx.metrics.authFailures.unavailable.inc();
    return unavailable(ctx, state, 'register', err);
  }
  if (entry) carryBacklogs(bindings, entry);
  authenticated(ctx, state, seq, bindings, entry);
  if (entry) return resumeSession(ctx, state, entry);
  reportOnline(ctx, bindings);
  // Subscribed before the logs are read, so nothing published meanwhile falls in between.
  await subscribeBindings(ctx, state, bindings);
  if (!isClosed(state)) await softly(ctx, state, 'pending delivery', () => deliverPending(ctx, state, bindings));
}

/** Bind {token}: adds (or replaces) one app's binding; Reply with the bound apps. */
export async function handleBind(ctx: RoomContext, state: ConnState, seq: number, token: unknown): Promise<void> {
  const check = await checkToken(ctx.apps, token);
  if (state.phase !== Phase.Ready) return;
  if (!check.ok) {
    ctx.metrics.authFailures[check.reason].inc();
    return sendFrame(ctx, state, { seq, reply: { code: check.code, message: check.message, apps: appsOf(state) } }, 'reply');
  }
  const binding = check.binding;
  if (!state.bindings.some((b) => b.app === binding.app) && state.bindings.length >= ctx.config.maxTokens) {
    return sendFrame(ctx, state, { seq, reply: { code: ErrorCode.BadFrame, message: `at most ${ctx.config.maxTokens} apps`, apps: appsOf(state) } }, 'reply');
  }
  try {
    if (!(await registerLive(ctx, state, [binding]))) return;
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.error('register failed', { conn: state.id, err });
    return sendFrame(ctx, state, { seq, reply: { code: ErrorCode.Unavailable, message: 'register unavailable', apps: appsOf(state) } }, 'reply');
  }
  const old = state.bindings.find((b) => b.app === binding.app);
  if (old && old.device !== binding.device) {
    ctx.unregisterQueue.push(...refsOf(state, [old]));
    ctx.scheduleUnregister();
    reportOffline(ctx, [old], OfflineReason.Unbind);
  }
  if (!old || old.device !== binding.device) reportOnline(ctx, [binding]);
  // The old device's topics are not the new one's.
  if (old) unsubscribeApp(state, old.app);
  state.bindings = [...state.bindings.filter((b) => b.app !== binding.app), binding];
  sendFrame(ctx, state, { seq, reply: { code: ErrorCode.Ok, apps: appsOf(state) } }, 'reply');
  await subscribeBindings(ctx, state, [binding]);
  if (!isClosed(state)) await softly(ctx, state, 'pending delivery', () => deliverPending(ctx, state, [binding]));
}

/** Unbind {app}: drops the binding now (no more pushes for it), unregisters it, Reply with apps. */
export async function handleUnbind(ctx: RoomContext, state: ConnState, seq: number, app: string): Promise<void> {
  const old = state.bindings.find((b) => b.app === app);
  if (!old) {
    return sendFrame(ctx, state, { seq, reply: { code: ErrorCode.NotBound, message: 'app is not bound', apps: appsOf(state) } }, 'reply');
  }
  // Before the binding goes: topicsOf tells the app's topics apart by the bound apps.
  unsubscribeApp(state, app);
  state.bindings = state.bindings.filter((b) => b !== old);
  reportOffline(ctx, [old], OfflineReason.Unbind);
  try {
    await ctx.register.unregister(refsOf(state, [old]));
  } catch (err) {
    // The binding is gone here already; the stored session runs out by its TTL (no more touches).
    ctx.metrics.errors.inc();
    ctx.log.warn('unregister on unbind failed', { conn: state.id, app, err });
  }
  sendFrame(ctx, state, { seq, reply: { code: ErrorCode.Ok, apps: appsOf(state) } }, 'reply');
}

/**
 * Ack {ids}: ids the room wrote as broadcast/topic log messages -> one saver.ackLog (moves the
 * device's watermark); the rest -> one saver.ack for every bound app of the connection.
 */
export async function handleAck(ctx: RoomContext, state: ConnState, seq: number, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  if (ids.length > MAX_ACK_IDS) {
    return sendFrame(ctx, state, { seq, error: { code: ErrorCode.BadFrame, message: `at most ${MAX_ACK_IDS} ids per Ack` } }, 'error');
  }
  forgetAcked(state, ids);
  const acks = splitAcks(ids, state, ctx.logIds, Date.now());
  ctx.metrics.acks.inc(ids.length);
  ctx.metrics.logAcks.inc(acks.log.length);
  if (acks.inbox.length === 0 && acks.log.length === 0) return;
  await Promise.all([
    acks.inbox.length > 0 ? softly(ctx, state, 'ack', () => ctx.batched.ack(acks.inbox)) : undefined,
    acks.log.length > 0 ? softly(ctx, state, 'log ack', () => ctx.saver.ackLog(acks.log)) : undefined,
  ]);
  const next = drainedBacklogs(state, ids);
  if (next.length > 0 && !isClosed(state)) await softly(ctx, state, 'pending delivery', () => deliverPending(ctx, state, next));
}
