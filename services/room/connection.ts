import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { decodeClientFrame, FrameError, type ClientFrame } from '../../shared/protocol/codec';
import { CloseCode, ErrorCode } from '../../shared/protocol/codes';
import { clockNow } from '../../shared/lifecycle/clock';
import { closeConn, failConn, Phase, sendFrame, type ConnSlot, type ConnState, type RoomContext } from './context';
import { leaveBindings } from './resume';
import { handleAck, handleAuth, handleBind, handleUnbind } from './session';
import { onDrain } from './slow';
import { handleSubscribe, handleUnsubscribe } from './subscriptions';
import { handleUpstream } from './upstream';

/** The WebSocket half of the room: the room's handlers bound to ctx once (no per-socket closures). */
export interface ConnectionHandlers {
  /** False while draining or full: upgrades get 503. */
  accepting(): boolean;
  behavior: WebSocketBehavior<ConnSlot>;
}

let nextConn = 0;

/** Tokens count in thousandths of a frame: whole numbers, so the field holds no boxed number. */
const MILLI = 1000;

function newState(ctx: RoomContext): ConnState {
  nextConn++;
  return {
    // join makes a flat string: a template literal makes a cons string, which the conns Map's
    // hashing then flattens into a second string, both kept (32 B more per connection).
    id: [ctx.connPrefix, nextConn.toString(36)].join(''),
    phase: Phase.Open,
    ws: null,
    sessionId: '',
    bindings: [],
    silenceMs: 0,
    tokens: ctx.config.rateLimitBurst * MILLI,
    refillAt: 0,
    touched: false,
    network: 'unknown',
    platform: '',
    slow: undefined,
    logMark: 0,
    closeReason: '',
    deadline: 0,
    bucket: -1,
  };
}

function upgrade(ctx: RoomContext, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  if (ctx.draining || ctx.conns.size >= ctx.config.capacity) {
    res.writeStatus('503 Service Unavailable').end(ctx.draining ? 'draining' : 'full');
    return;
  }
  const slot: ConnSlot = { conn: newState(ctx) };
  res.upgrade(
    slot,
    req.getHeader('sec-websocket-key'),
    req.getHeader('sec-websocket-protocol'),
    req.getHeader('sec-websocket-extensions'),
    context,
  );
}

function open(ctx: RoomContext, ws: WebSocket<ConnSlot>): void {
  const state = ws.getUserData().conn;
  const now = clockNow();
  state.ws = ws;
  state.refillAt = now;
  state.deadline = now + ctx.config.authTimeoutMs;
  ctx.conns.set(state.id, state);
  ctx.sweeper.add(state);
  ctx.compactor.changed();
  ctx.metrics.connections.inc();
}

function close(ctx: RoomContext, ws: WebSocket<ConnSlot>, code: number): void {
  const state = ws.getUserData().conn;
  if (state.phase === Phase.Closed) return;
  state.phase = Phase.Closed;
  ctx.conns.delete(state.id);
  ctx.sweeper.remove(state);
  ctx.touchQueue.delete(state);
  state.ws = null;
  if (state.bindings.length > 0) leaveBindings(ctx, state, code);
  ctx.compactor.changed();
  ctx.metrics.close(code);
  ctx.metrics.connections.dec();
}

/** Token bucket: false when the connection sent more than burst + rate * elapsed frames. */
function takeToken(ctx: RoomContext, state: ConnState, now: number): boolean {
  const { rateLimitPerSecond: rate, rateLimitBurst: burst } = ctx.config;
  // rate frames/s is rate thousandths per ms of the process clock (both whole numbers).
  state.tokens = Math.min(burst * MILLI, state.tokens + (now - state.refillAt) * rate);
  state.refillAt = now;
  if (state.tokens < MILLI) return false;
  state.tokens -= MILLI;
  return true;
}

/** Size, rate, type and decoding checks; a fatal problem closes the socket and answers undefined. */
function admit(ctx: RoomContext, state: ConnState, data: ArrayBuffer, isBinary: boolean, now: number): ClientFrame | undefined {
  if (data.byteLength > ctx.config.maxPayload) {
    failConn(ctx, state, ErrorCode.FrameTooLarge, CloseCode.FrameTooLarge, `frame over ${ctx.config.maxPayload} bytes`);
    return undefined;
  }
  if (!takeToken(ctx, state, now)) {
    failConn(ctx, state, ErrorCode.RateLimited, CloseCode.RateLimited, 'too many frames');
    return undefined;
  }
  try {
    if (!isBinary) throw new FrameError('text frames are not accepted; send binary protobuf frames');
    return decodeClientFrame(data);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    ctx.metrics.framesIn.bad.inc();
    failConn(ctx, state, ErrorCode.BadFrame, CloseCode.ProtocolError, err.message);
    return undefined;
  }
}

/** Runs an async frame handler; a rejection is counted, logged and closes the socket. */
function run(ctx: RoomContext, state: ConnState, what: string, work: Promise<void>): void {
  work.catch((err: unknown) => {
    ctx.metrics.errors.inc();
    ctx.log.error(`${what} failed`, { conn: state.id, err });
    failConn(ctx, state, ErrorCode.Internal, CloseCode.ServerError, 'internal error');
  });
}

function beforeAuth(ctx: RoomContext, state: ConnState, frame: ClientFrame): void {
  if (frame.body === 'auth') {
    run(ctx, state, 'auth', handleAuth(ctx, state, frame.seq, frame.auth!));
  } else if (state.phase === Phase.Open) {
    failConn(ctx, state, ErrorCode.NotAuthenticated, CloseCode.ProtocolError, 'the first frame must be Auth');
  } else {
    sendFrame(ctx, state, { seq: frame.seq, error: { code: ErrorCode.NotAuthenticated, message: 'wait for AuthOk' } }, 'error');
  }
}

function dispatch(ctx: RoomContext, state: ConnState, frame: ClientFrame): void {
  ctx.metrics.framesIn[frame.body!].inc();
  if (state.phase !== Phase.Ready) return beforeAuth(ctx, state, frame);
  const seq = frame.seq;
  switch (frame.body) {
    case 'ping':
      return sendFrame(ctx, state, { seq, pong: { serverTime: Date.now() } }, 'pong');
    case 'ack':
      return run(ctx, state, 'ack', handleAck(ctx, state, seq, frame.ack!.ids ?? []));
    case 'bind':
      return run(ctx, state, 'bind', handleBind(ctx, state, seq, frame.bind!.token));
    case 'unbind':
      return run(ctx, state, 'unbind', handleUnbind(ctx, state, seq, frame.unbind!.app ?? ''));
    case 'auth':
      return sendFrame(ctx, state, { seq, error: { code: ErrorCode.AlreadyAuthenticated, message: 'already authenticated' } }, 'error');
    case 'subscribe':
      return run(ctx, state, 'subscribe', handleSubscribe(ctx, state, seq, frame.subscribe!));
    case 'unsubscribe':
      return run(ctx, state, 'unsubscribe', handleUnsubscribe(ctx, state, seq, frame.unsubscribe!));
    case 'upstream':
      return handleUpstream(ctx, state, seq, frame.upstream!);
  }
}

function message(ctx: RoomContext, ws: WebSocket<ConnSlot>, data: ArrayBuffer, isBinary: boolean): void {
  const state = ws.getUserData().conn;
  try {
    if (state.phase === Phase.Closed) return;
    const now = clockNow();
    const frame = admit(ctx, state, data, isBinary, now);
    if (!frame) return;
    if (state.phase === Phase.Ready) {
      // Any frame is liveness: move the heartbeat deadline (the sweeper rechecks lazily).
      state.deadline = now + state.silenceMs;
      if (!state.touched) {
        state.touched = true;
        ctx.touchQueue.add(state);
      }
    }
    dispatch(ctx, state, frame);
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.error('frame handler failed', { conn: state.id, err });
    failConn(ctx, state, ErrorCode.Internal, CloseCode.ServerError, 'internal error');
  }
}

/** The sweeper's verdict on a connection whose deadline passed. */
export function expire(ctx: RoomContext, state: ConnState): void {
  if (state.phase === Phase.Ready) return closeConn(state, CloseCode.HeartbeatTimeout, 'heartbeat timeout');
  ctx.metrics.authFailures.timeout.inc();
  closeConn(state, CloseCode.AuthTimeout, 'auth timeout');
}

export function createConnectionHandlers(ctx: RoomContext, maxPayloadLength: number): ConnectionHandlers {
  return {
    accepting: () => !ctx.draining && ctx.conns.size < ctx.config.capacity,
    behavior: {
      maxPayloadLength,
      maxBackpressure: ctx.config.maxBackpressure,
      closeOnBackpressureLimit: 0,
      idleTimeout: 0,
      sendPingsAutomatically: false,
      upgrade: (res, req, context) => upgrade(ctx, res, req, context),
      open: (ws) => open(ctx, ws),
      message: (ws, data, isBinary) => message(ctx, ws, data, isBinary),
      close: (ws, code) => close(ctx, ws, code),
      drain: (ws) => onDrain(ctx, ws),
    },
  };
}
