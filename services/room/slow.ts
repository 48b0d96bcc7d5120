import type { WebSocket } from 'uWebSockets.js';
import { CloseCode } from '../../shared/protocol/codes';
import { clockNow } from '../../shared/lifecycle/clock';
import { closeConn, isClosed, Lag, notePressure, Phase, slowOf, type ConnSlot, type ConnState, type RoomContext } from './context';
import { deliverPending } from './delivery';
import { loadLogs, writeLogEntries } from './log-delivery';

/**
 * Slow receivers. uWS publish silently skips a socket whose buffered bytes are over
 * maxBackpressure, so such a socket may miss broadcast/topic pushes (its lag becomes Missed).
 * It is found three ways: our own writes (checkBackpressure, a dropped send), the drain handler,
 * and a bounded periodic scan. Buffered bytes only shrink through a writable event, which runs
 * the drain handler: a socket that skipped a publish and got back under the limit passed
 * through a drain call after that publish, which sees ctx.logPublishes moved past its logMark.
 * Once it is back under half the limit it catches up from the log (rate-limited, no timer per
 * socket); one that stays over the limit for slowConsumerMs is closed with SlowConsumer.
 */

/** Reads the log entries a lagging connection may have missed and writes them. */
export async function catchUp(ctx: RoomContext, state: ConnState): Promise<void> {
  const slow = slowOf(state);
  slow.lag = Lag.CatchingUp;
  state.logMark = ctx.logPublishes;
  const inbox = slow.dropped;
  slow.dropped = false;
  const bindings = state.bindings;
  try {
    const logs = await loadLogs(ctx, state, bindings);
    if (isClosed(state)) return;
    // Everything from the watermarks up written, and nothing skipped meanwhile: caught up.
    if (writeLogEntries(ctx, state, logs.flat()) && slow.lag === Lag.CatchingUp) {
      slow.lag = Lag.None;
      state.ackLimits = undefined;
    }
    if (inbox) await deliverPending(ctx, state, bindings, { inbox: true, logs: false });
  } catch (err) {
    // Try again at a later drain or scan.
    if (slow.lag === Lag.CatchingUp) slow.lag = Lag.Missed;
    if (inbox) slow.dropped = true;
    ctx.metrics.errors.inc();
    ctx.log.warn('log catch-up failed', { conn: state.id, err });
  }
}

/** Starts a catch-up when the socket lags, is well under the limit and its rate limit allows. */
function maybeCatchUp(ctx: RoomContext, state: ConnState, buffered: number, now: number): void {
  const slow = state.slow;
  if (slow === undefined || slow.lag !== Lag.Missed || buffered >= ctx.config.maxBackpressure / 2) return;
  if (now - slow.catchupAt < ctx.config.catchupIntervalMs) return;
  slow.catchupAt = now;
  ctx.metrics.catchups.inc();
  void catchUp(ctx, state);
}

/** uWS drain handler: the socket's buffered bytes went down. */
export function onDrain(ctx: RoomContext, ws: WebSocket<ConnSlot>): void {
  const state = ws.getUserData().conn;
  if (state.phase !== Phase.Ready) return;
  const now = clockNow();
  const buffered = ws.getBufferedAmount();
  if (buffered > ctx.config.maxBackpressure) return notePressure(state);
  // It had a backlog: a logged publish since its mark may have been skipped.
  if (state.logMark !== ctx.logPublishes) {
    state.logMark = ctx.logPublishes;
    const slow = slowOf(state);
    if (slow.lag === Lag.None) slow.lag = Lag.Missed;
  }
  if (state.slow) state.slow.since = 0;
  maybeCatchUp(ctx, state, buffered, now);
}

/** Checks one socket: closes it after slowConsumerMs over the limit, else maybe catches it up. */
function check(ctx: RoomContext, state: ConnState, now: number): void {
  const ws = state.ws;
  if (state.phase !== Phase.Ready || !ws) return;
  const buffered = ws.getBufferedAmount();
  if (buffered > ctx.config.maxBackpressure) {
    notePressure(state);
    if (now - slowOf(state).since >= ctx.config.slowConsumerMs) closeConn(state, CloseCode.SlowConsumer, 'slow consumer');
    return;
  }
  if (state.slow) state.slow.since = 0;
  maybeCatchUp(ctx, state, buffered, now);
}

/** The bounded periodic scan: up to slowScanBatch connections per tick, resuming where it stopped. */
export interface SlowScan {
  scan(now: number): void;
}

export function createSlowScan(ctx: RoomContext): SlowScan {
  // A Map iterator survives deletions and sees entries added later; once done it stays done.
  let it = ctx.conns.values();
  return {
    scan(now) {
      const count = Math.min(ctx.config.slowScanBatch, ctx.conns.size);
      for (let n = 0; n < count; n++) {
        let next = it.next();
        if (next.done) {
          it = ctx.conns.values();
          next = it.next();
          if (next.done) return;
        }
        check(ctx, next.value, now);
      }
    },
  };
}
