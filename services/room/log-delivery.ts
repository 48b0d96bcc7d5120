import type { LogEntry } from '../../shared/contracts/saver';
import { DROPPED, Lag, lagOf, logKey, notePressure, Phase, type Binding, type ConnState, type RoomContext } from './context';
import { rememberEntries } from './log-ids';
import { encodePush } from './push-frame';
import { keepUnacked } from './unacked';
import { topicsOf } from './topics';

/** The log names a binding reads: '' (the app's broadcasts) and its subscribed topics. */
export function logsOf(state: ConnState, b: Binding): string[] {
  return ['', ...topicsOf(state, b.app)];
}

/** Per binding: its log entries above the device's watermarks (one logSince each, in parallel). */
export function loadLogs(ctx: RoomContext, state: ConnState, bindings: Binding[]): Promise<LogEntry[][]> {
  return Promise.all(bindings.map((b) => ctx.saver.logSince(b.app, b.device, logsOf(state, b), ctx.config.pendingLimit)));
}

/** Raises the connection's per-log ack limits to what a gapless write reached. */
function raiseLimits(state: ConnState, reached: Map<string, number>): void {
  const limits = (state.ackLimits ??= new Map());
  for (const [k, seq] of reached) if ((limits.get(k) ?? 0) < seq) limits.set(k, seq);
}

/**
 * Writes log entries read from the saver (oldest first per log, each log from the device's
 * watermark up), corked, with no saver.attempt: they stay in the log until the watermark passes
 * them. Stops at the first write uWS drops (socket over maxBackpressure): what was written is
 * then a gapless prefix of each log, so acks up to it are safe (ackLimits) and the connection
 * lags until a catch-up sends the rest. Answers true when every entry was written.
 */
export function writeLogEntries(ctx: RoomContext, state: ConnState, entries: LogEntry[]): boolean {
  const ws = state.ws;
  if (entries.length === 0) return true;
  if (state.phase !== Phase.Ready || !ws) return false;
  rememberEntries(ctx.logIds, entries);
  const reached = new Map<string, number>();
  let written = 0;
  ws.cork(() => {
    for (const e of entries) {
      const bytes = encodePush(e.message);
      if (ws.send(bytes, true) === DROPPED) break;
      if (e.message.qos === 1) keepUnacked(ctx, state, e.message.id, bytes);
      const k = logKey(e.message.app, e.log);
      if ((reached.get(k) ?? 0) < e.seq) reached.set(k, e.seq);
      written++;
    }
  });
  ctx.metrics.framesOut.push.inc(written);
  ctx.metrics.pushesSent.inc(written);
  const complete = written === entries.length;
  if (!complete) notePressure(state);
  if (lagOf(state) !== Lag.None) raiseLimits(state, reached);
  return complete;
}
