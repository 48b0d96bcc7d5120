import type { DrainOptions } from '../../shared/contracts/room';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import { encodeServerFrame } from '../../shared/protocol/codec';
import { CloseCode } from '../../shared/protocol/codes';
import { closeConn, writeFrame, type RoomContext } from './context';
import { endGrace } from './resume';
import { OfflineReason } from './status';

/** A drain in progress: a later drain() (stop's) may only bring its deadline closer. */
export interface DrainRun {
  deadline: number;
  done: Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** WebSocket URLs of the other rooms that are not draining ([] when none, or the registry fails). */
async function otherRoomUrls(ctx: RoomContext, registry: RoomRegistry): Promise<string[]> {
  try {
    const rooms = await registry.list();
    return rooms.filter((r) => r.id !== ctx.roomId && !r.draining).flatMap((r) => r.urls);
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.warn('drain: room list failed; redirecting nowhere', { err });
    return [];
  }
}

/** Redirect, then close Draining (no grace, unregistered at once), at most n sockets. Answers how many. */
function closeSome(ctx: RoomContext, redirect: Uint8Array, n: number): number {
  let closed = 0;
  // Closing deletes the entry from the map, which a Map iterator tolerates.
  for (const state of ctx.conns.values()) {
    if (closed >= n) break;
    const ws = state.ws;
    if (!ws) continue;
    state.closeReason = OfflineReason.Drain;
    ws.cork(() => writeFrame(ctx, state, redirect, 'redirect'));
    closeConn(state, CloseCode.Draining, 'draining');
    closed++;
  }
  return closed;
}

/** Sessions kept for a resume cannot come back here: unregister them now. */
function endAllGrace(ctx: RoomContext): void {
  for (const entry of [...ctx.grace.entries()]) {
    ctx.grace.drop(entry);
    endGrace(ctx, entry, OfflineReason.Drain);
  }
}

/**
 * Moves the clients elsewhere: ctx.draining (upgrades get 503) is already set and announced.
 * batchSize sockets every intervalMs get a Redirect to the other rooms and close Draining; at
 * the deadline the rest go closeBatchSize per event-loop turn.
 */
export async function runDrain(ctx: RoomContext, registry: RoomRegistry, run: DrainRun, opts: Required<DrainOptions>): Promise<void> {
  endAllGrace(ctx);
  const urls = await otherRoomUrls(ctx, registry);
  const redirect = encodeServerFrame({ redirect: { urls, reason: 'draining' } });
  ctx.log.info('draining', { connections: ctx.conns.size, redirectTo: urls });
  while (ctx.conns.size > 0 && Date.now() < run.deadline) {
    if (closeSome(ctx, redirect, opts.batchSize) === 0) break;
    if (ctx.conns.size === 0) break;
    await sleep(Math.max(0, Math.min(opts.intervalMs, run.deadline - Date.now())));
  }
  while (ctx.conns.size > 0) {
    if (closeSome(ctx, redirect, ctx.config.closeBatchSize) === 0) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Validated drain options with the config's defaults. */
export function drainOptions(ctx: RoomContext, opts: DrainOptions = {}): Required<DrainOptions> {
  const pick = (v: unknown, def: number, min: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= min ? Math.floor(v) : def);
  return {
    batchSize: pick(opts.batchSize, ctx.config.closeBatchSize, 1),
    intervalMs: pick(opts.intervalMs, ctx.config.drainIntervalMs, 0),
    deadlineMs: pick(opts.deadlineMs, ctx.config.drainDeadlineMs, 0),
  };
}
