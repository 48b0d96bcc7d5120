import type { UpstreamRequest } from '../../shared/contracts/coordinator';
import { ErrorCode } from '../../shared/protocol/codes';
import { Phase, sendFrame, type ConnState, type RoomContext } from './context';

/** An Upstream waiting for the turn's coordinator call, with the connection to answer on failure. */
export interface PendingUpstream {
  state: ConnState;
  request: UpstreamRequest;
}

interface UpstreamBody {
  app?: string | null;
  type?: string | null;
  payload?: Uint8Array | null;
}

function refuse(ctx: RoomContext, state: ConnState, seq: number, code: ErrorCode, message: string): void {
  sendFrame(ctx, state, { seq, reply: { code, message } }, 'reply');
}

/**
 * Upstream {app, type, payload}: checks it and queues it for the turn's one coordinator.upstream
 * call. No Reply now: the coordinator answers later through RoomService.reply (the frame's seq).
 * The payload's size is bounded by maxPayload already (the whole frame is).
 */
export function handleUpstream(ctx: RoomContext, state: ConnState, seq: number, body: UpstreamBody): void {
  const binding = state.bindings.find((b) => b.app === body.app);
  if (!binding) return refuse(ctx, state, seq, ErrorCode.NotBound, 'app is not bound');
  const type = body.type ?? '';
  if (type.length === 0 || type.length > ctx.config.upstreamMaxType) {
    return refuse(ctx, state, seq, ErrorCode.BadFrame, `type must be 1 to ${ctx.config.upstreamMaxType} characters`);
  }
  // A copy: the decoded bytes are a view of uWS's receive buffer, valid only during the callback.
  const payload = body.payload && body.payload.length > 0 ? new Uint8Array(body.payload) : new Uint8Array(0);
  const request: UpstreamRequest = {
    app: binding.app,
    device: binding.device,
    user: binding.user,
    type,
    payload,
    roomId: ctx.roomId,
    connId: state.id,
    seq,
  };
  ctx.metrics.upstreams.inc();
  ctx.upstreams.push({ state, request });
}

/** The upstream batcher's flush: one coordinator call; when it rejects, each sender gets Reply Unavailable. */
export async function flushUpstreams(ctx: RoomContext, batch: PendingUpstream[]): Promise<void> {
  if (batch.length === 0) return;
  try {
    await ctx.coordinator.upstream(batch.map((p) => p.request));
  } catch (err) {
    ctx.metrics.upstreamFailures.inc(batch.length);
    ctx.metrics.errors.inc();
    ctx.log.warn('coordinator upstream failed', { requests: batch.length, err });
    for (const p of batch) {
      if (p.state.phase === Phase.Ready) refuse(ctx, p.state, p.request.seq, ErrorCode.Unavailable, 'upstream unavailable, retry later');
    }
  }
}
