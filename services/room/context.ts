import type { WebSocket } from 'uWebSockets.js';
import type { AppStore } from '../../shared/contracts/apps';
import type { CoordinatorService, StatusEvent } from '../../shared/contracts/coordinator';
import type { RegisterService, SessionRef } from '../../shared/contracts/register';
import { createCoalescer, type Coalesced } from '../../shared/batching/coalescer';
import type { Delivery, SaverService } from '../../shared/contracts/saver';
import type { Logger } from '../../shared/log/log';
import { encodeServerFrame, type ServerFrameInit } from '../../shared/protocol/codec';
import type { ErrorCode } from '../../shared/protocol/codes';
import { clockNow } from '../../shared/lifecycle/clock';
import type { TickBatcher } from './batcher';
import type { Compactor } from './compact';
import type { RoomConfig } from './config';
import type { Grace } from './grace';
import type { Moved } from './moved';
import type { RoomMetrics, ServerFrameType } from './room-metrics';
import type { LogIds } from './log-ids';
import type { Sweepable, Sweeper } from './sweeper';
import type { PendingUpstream } from './upstream';

/** Connection phases: waiting for Auth, Auth in progress, authenticated, closed. */
export const Phase = { Open: 0, Authing: 1, Ready: 2, Closed: 3 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * Whether a connection may have missed broadcast/topic pushes (uWS publish skips a socket over
 * maxBackpressure): none; missed (catch up from the log once it drains); catching up (the log
 * read is in flight). While it lags, a log ack above ackLimits is dropped, so an ack of a later
 * message cannot move the watermark over a skipped one (the catch-up resends it).
 */
export const Lag = { None: 0, Missed: 1, CatchingUp: 2 } as const;
export type Lag = (typeof Lag)[keyof typeof Lag];

/** One app bound on a connection. */
export interface Binding {
  app: string;
  device: string;
  user?: string;
  /**
   * Ids of a full page of pending messages not yet acked; the next page is loaded when it
   * empties. Absent when the device had no more than one page (the usual case).
   */
  backlog?: Set<string>;
}

/**
 * The uWS user data. uWS copies its properties onto its own socket object one by one, and an
 * object given that many properties that way falls back to dictionary properties (~830 B per
 * socket for ConnState's fields): so it carries one field, the connection's state object.
 */
export interface ConnSlot {
  conn: ConnState;
}

/**
 * Per-connection state (ConnSlot.conn), a plain object of a few fields. The deadline is
 * the auth deadline before Auth and the heartbeat deadline after; any frame moves it. Times are
 * on the process clock (shared/lifecycle/clock.ts): small integers, so no field holds a boxed number.
 */
export interface ConnState extends Sweepable {
  id: string;
  phase: Phase;
  ws: WebSocket<ConnSlot> | null;
  sessionId: string;
  /** Usually one or two apps: an array scan beats a Map at this size. */
  bindings: Binding[];
  /** Silence allowed before a heartbeat close, ms (heartbeat * (misses + 1)). */
  silenceMs: number;
  /** Rate-limit token bucket: thousandths of a frame left, last refill (process clock, ms). */
  tokens: number;
  refillAt: number;
  /** Queued for the next register.touch batch. */
  touched: boolean;
  network: string;
  platform: string;
  /** Absent until the socket first goes over maxBackpressure or may have missed a publish. */
  slow: SlowState | undefined;
  /** ctx.logPublishes when this socket was last known not to have skipped anything. */
  logMark: number;
  /**
   * Only while it lags: per log (logKey(app, log)) the highest seq a catch-up wrote with no gap
   * above the watermark; acks up to it are safe. Absent otherwise (no per-connection map).
   */
  ackLimits?: Map<string, number>;
  /** Set when the room closes it on purpose (kick, drain): the offline reason; no grace then. */
  closeReason: string;
  /**
   * qos 1 messages written and not acked yet: id -> encoded Push, oldest first, at most
   * unackedMax (they stay stored in the saver anyway). Resent when the session resumes.
   * Absent until the first one (most connections of a quiet app never need it).
   */
  unacked?: Map<string, Uint8Array>;
}

/**
 * The slow-consumer fields of a connection, in an object of their own made on first need (see
 * slowOf): most sockets never lag, and four fields fewer on every connection is 24 B each.
 */
export interface SlowState {
  /** When the socket was first seen over maxBackpressure (process clock, ms), 0 when it is not. */
  since: number;
  lag: Lag;
  /** A push write was dropped by uWS (over maxBackpressure): the catch-up reloads the inbox too. */
  dropped: boolean;
  /** Start of the last log catch-up (process clock, ms), for its rate limit. */
  catchupAt: number;
}

/** The connection's slow-consumer state, made on first need. */
export function slowOf(state: ConnState): SlowState {
  return (state.slow ??= { since: 0, lag: Lag.None, dropped: false, catchupAt: 0 });
}

/** Whether the connection may have missed publishes (Lag.None for one that never lagged). */
export function lagOf(state: ConnState): Lag {
  return state.slow === undefined ? Lag.None : state.slow.lag;
}

/** Key of an app's log in ackLimits. */
export function logKey(app: string, log: string): string {
  return `${app}\u0000${log}`;
}

/** The saver calls that every push and every Ack makes, coalesced per turn (see createCoalescer). */
export interface BatchedSaver {
  attempt: Coalesced<Delivery, boolean>;
  ack(acks: Delivery[]): Promise<void>;
}

/** attempt and ack of one turn go to the saver in one call each. */
export function batchedSaver(saver: SaverService): BatchedSaver {
  const ack = createCoalescer<Delivery, undefined>(async (acks) => {
    await saver.ack(acks);
    return new Array<undefined>(acks.length);
  });
  return { attempt: createCoalescer((deliveries) => saver.attempt(deliveries)), ack: async (acks) => void (await ack(acks)) };
}

export interface RoomDeps {
  apps: AppStore;
  register: RegisterService;
  saver: SaverService;
  coordinator: CoordinatorService;
  log: Logger;
}

/** What the connection handlers share: one object per room, passed in (no per-socket closures). */
export interface RoomContext extends RoomDeps {
  config: RoomConfig;
  roomId: string;
  /** Prefix of connection ids: room id plus a per-process nonce, so ids never repeat across restarts. */
  connPrefix: string;
  /** Set by stop(): new upgrades are refused. */
  draining: boolean;
  metrics: RoomMetrics;
  conns: Map<string, ConnState>;
  sweeper: Sweeper<ConnState>;
  touchQueue: Set<ConnState>;
  /** Refs waiting for the next batched unregister (flushed on the next tick). */
  unregisterQueue: SessionRef[];
  scheduleUnregister(): void;
  /** saver.attempt and saver.ack with the calls of one event-loop turn coalesced into one each. */
  batched: BatchedSaver;
  /** Broadcast/topic message ids written by this room -> their log position, so acks move watermarks. */
  logIds: LogIds;
  /** Publish passes that carried logged (qos 1) messages so far: a drained socket compares its logMark. */
  logPublishes: number;
  /** Sessions of dropped connections kept for a flash reconnect. */
  grace: Grace;
  /** Old connection ids of resumed sessions, for deliveries still addressed to them. */
  moved: Moved;
  /** Full GC after a connect storm (compact.ts). */
  compactor: Compactor;
  /** Online/offline events, one coordinator.status call per event-loop turn. */
  status: TickBatcher<StatusEvent>;
  /** Upstream frames, one coordinator.upstream call per event-loop turn. */
  upstreams: TickBatcher<PendingUpstream>;
}

/**
 * The connection a delivery or kick names: by its id, or, for the old id of a session that
 * resumed on a new connection since it was looked up, the connection that took it over.
 */
export function connById(ctx: RoomContext, connId: string): ConnState | undefined {
  return ctx.conns.get(connId) ?? ctx.moved.ready(connId);
}

/** True once the close handler ran (a function, so TS does not narrow phase across awaits). */
export function isClosed(state: ConnState): boolean {
  return state.phase === Phase.Closed;
}

/** uWS send(): the frame was dropped, the socket being over maxBackpressure. */
export const DROPPED = 2;

/** Writes one encoded frame; the caller corks when outside a uWS callback. */
export function writeFrame(ctx: RoomContext, state: ConnState, bytes: Uint8Array, type: ServerFrameType): void {
  if (state.phase === Phase.Closed || !state.ws) return;
  if (state.ws.send(bytes, true) === DROPPED) {
    // Stored pushes stay stored: the catch-up after the socket drains (or the reconnect) resends them.
    if (type === 'push') notePressure(state, true);
    return;
  }
  ctx.metrics.framesOut[type].inc();
}

/** Records that a socket is over maxBackpressure: it may miss publishes; the slow scan times it. */
export function notePressure(state: ConnState, dropped = false): void {
  const slow = slowOf(state);
  if (slow.since === 0) slow.since = clockNow();
  slow.lag = Lag.Missed;
  if (dropped) slow.dropped = true;
}

/** Encodes and writes a frame corked (safe from async code), then checks backpressure. */
export function sendFrame(ctx: RoomContext, state: ConnState, frame: ServerFrameInit, type: ServerFrameType): void {
  const ws = state.ws;
  if (state.phase === Phase.Closed || !ws) return;
  const bytes = encodeServerFrame(frame);
  ws.cork(() => writeFrame(ctx, state, bytes, type));
  checkBackpressure(ctx, state);
}

/**
 * After a write: a socket now above maxBackpressure is marked (publishes will skip it); the
 * slow scan closes it if it stays there for slowConsumerMs.
 */
export function checkBackpressure(ctx: RoomContext, state: ConnState): void {
  const ws = state.ws;
  if (state.phase === Phase.Closed || !ws) return;
  if (ws.getBufferedAmount() > ctx.config.maxBackpressure) notePressure(state);
}

/** Closes gracefully with a code; the close handler does the cleanup. */
export function closeConn(state: ConnState, code: number, reason: string): void {
  const ws = state.ws;
  if (state.phase === Phase.Closed || !ws) return;
  ws.end(code, reason);
}

/** Sends an Error frame, then closes with closeCode (a fatal protocol error). */
export function failConn(ctx: RoomContext, state: ConnState, code: ErrorCode, closeCode: number, message: string): void {
  if (state.phase === Phase.Closed || !state.ws) return;
  const bytes = encodeServerFrame({ error: { code, message } });
  state.ws.cork(() => writeFrame(ctx, state, bytes, 'error'));
  closeConn(state, closeCode, message);
}

/** Refs of every bound app of a connection, for register calls. */
export function refsOf(state: ConnState, bindings: Binding[] = state.bindings): SessionRef[] {
  return bindings.map((b) => ({ app: b.app, device: b.device, connId: state.id }));
}
