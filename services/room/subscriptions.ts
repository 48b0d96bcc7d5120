import { ErrorCode } from '../../shared/protocol/codes';
import { isClosed, Phase, sendFrame, type Binding, type ConnState, type RoomContext } from './context';
import { writeLogEntries } from './log-delivery';
import { subscribeApp, topicTopic } from './topics';

/** A Subscribe or Unsubscribe frame's body. */
interface SubscribeBody {
  app?: string | null;
  topics?: string[] | null;
}

/** Most topics one Subscribe/Unsubscribe frame may name. */
export const MAX_TOPICS_PER_FRAME = 64;
/** Longest topic name (characters), as register accepts. */
export const MAX_TOPIC_LENGTH = 128;

/**
 * At auth/bind, after register: subscribes the socket to `b/<app>` at once, then to the topics
 * register holds for the device. A register failure is logged and counted; the connection keeps
 * the broadcasts (its topics come back at the next connect).
 */
export async function subscribeBindings(ctx: RoomContext, state: ConnState, bindings: Binding[]): Promise<void> {
  for (const b of bindings) subscribeApp(state, b.app, []);
  let lists: string[][];
  try {
    lists = await Promise.all(bindings.map((b) => ctx.register.subscriptions(b.app, b.device)));
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.warn('subscriptions lookup failed', { conn: state.id, err });
    return;
  }
  if (state.phase !== Phase.Ready) return;
  for (let i = 0; i < bindings.length; i++) {
    // Still this connection's binding (an Unbind or a rebind may have come meanwhile).
    if (state.bindings.includes(bindings[i])) subscribeApp(state, bindings[i].app, lists[i]);
  }
}

/** The frame's app and its distinct topics, or a refusal message. */
function checkTopics(state: ConnState, body: SubscribeBody): { binding: Binding; topics: string[] } | { code: ErrorCode; message: string } {
  const binding = state.bindings.find((b) => b.app === body.app);
  if (!binding) return { code: ErrorCode.NotBound, message: 'app is not bound' };
  const topics = body.topics ?? [];
  if (topics.length === 0 || topics.length > MAX_TOPICS_PER_FRAME) {
    return { code: ErrorCode.BadFrame, message: `name 1 to ${MAX_TOPICS_PER_FRAME} topics` };
  }
  for (const t of topics) {
    if (typeof t !== 'string' || t === '' || t.length > MAX_TOPIC_LENGTH) {
      return { code: ErrorCode.BadFrame, message: `a topic is 1 to ${MAX_TOPIC_LENGTH} characters` };
    }
  }
  return { binding, topics: [...new Set(topics)] };
}

/** Register refuses bad input with an InvalidSessionError (code 'invalid_session'): the client's fault. */
function refusalOf(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof Error && (err as Error & { code?: unknown }).code === 'invalid_session') {
    return { code: ErrorCode.BadFrame, message: err.message };
  }
  return { code: ErrorCode.Unavailable, message: 'register unavailable, retry later' };
}

function reply(ctx: RoomContext, state: ConnState, seq: number, code: ErrorCode, message = ''): void {
  sendFrame(ctx, state, { seq, reply: { code, message } }, 'reply');
}

/**
 * Subscribe {app, topics}: register.subscribe, uWS subscribe, Reply Ok, then the topics'
 * unexpired history above the device's watermarks (one logSince).
 */
export async function handleSubscribe(ctx: RoomContext, state: ConnState, seq: number, body: SubscribeBody): Promise<void> {
  const checked = checkTopics(state, body);
  if (!('binding' in checked)) return reply(ctx, state, seq, checked.code, checked.message);
  const { binding, topics } = checked;
  try {
    await ctx.register.subscribe(binding.app, binding.device, topics);
  } catch (err) {
    const r = refusalOf(err);
    if (r.code !== ErrorCode.BadFrame) {
      ctx.metrics.errors.inc();
      ctx.log.warn('subscribe failed', { conn: state.id, app: binding.app, err });
    }
    return reply(ctx, state, seq, r.code, r.message);
  }
  if (state.phase !== Phase.Ready || !state.bindings.includes(binding)) return;
  subscribeApp(state, binding.app, topics);
  reply(ctx, state, seq, ErrorCode.Ok);
  try {
    const entries = await ctx.saver.logSince(binding.app, binding.device, topics, ctx.config.pendingLimit);
    if (!isClosed(state)) writeLogEntries(ctx, state, entries);
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.warn('topic history failed', { conn: state.id, app: binding.app, err });
  }
}

/** Unsubscribe {app, topics}: register.unsubscribe, uWS unsubscribe, Reply Ok. */
export async function handleUnsubscribe(ctx: RoomContext, state: ConnState, seq: number, body: SubscribeBody): Promise<void> {
  const checked = checkTopics(state, body);
  if (!('binding' in checked)) return reply(ctx, state, seq, checked.code, checked.message);
  const { binding, topics } = checked;
  try {
    await ctx.register.unsubscribe(binding.app, binding.device, topics);
  } catch (err) {
    const r = refusalOf(err);
    if (r.code !== ErrorCode.BadFrame) {
      ctx.metrics.errors.inc();
      ctx.log.warn('unsubscribe failed', { conn: state.id, app: binding.app, err });
    }
    return reply(ctx, state, seq, r.code, r.message);
  }
  const ws = state.ws;
  if (state.phase !== Phase.Ready || !ws) return;
  if (state.bindings.includes(binding)) for (const t of topics) ws.unsubscribe(topicTopic(binding.app, t));
  reply(ctx, state, seq, ErrorCode.Ok);
}
