/**
 * hold: ramp to N authenticated devices at the connect rate, in two halves, then hold them
 * (heartbeats running) for the duration. Reports the server's RSS growth per device over the
 * second half (rssPerDeviceBytes: what one more device costs, once the one-time growth of the
 * first connects is behind: V8's young generation and code, the allocator's first arenas) and
 * over the whole ramp (rssPerDeviceWholeBytes); every reading is taken once RSS has settled
 * (see settledRss) after --settle seconds of quiet, the same way for the baseline and the
 * gateway, and for the gateway once its room has run the full GCs it runs by itself after a
 * connect storm (see awaitCompaction). For the gateway also the growth of its JS heap in use
 * per device (from its /metrics), over the whole ramp.
 */
import type { RunContext } from '../run';

/** Bounds of the wait for RSS to settle. */
const settle = { pollMs: 500, windowMs: 2000, maxMs: 10_000, toleranceBytes: 256 * 1024 } as const;
/** prom-client's default metric, registered by the gateway with the herald_ prefix. */
const heapMetric = 'herald_nodejs_heap_size_used_bytes';
/** 1 while the room's full GCs after a connect storm are still to come (services/room/compact.ts). */
const compactionDueMetric = 'herald_room_compaction_due';
/** The longest wait for those GCs before a reading. */
const maxCompactionWaitMs = 30_000;

/** A settled RSS reading: the value, and how long it took to settle (capped at settle.maxMs). */
interface Settled {
  rss: number | null;
  settleMs: number;
}

/**
 * Polls the server's RSS until it has stopped falling: no drop of more than the tolerance over
 * the last window, or settle.maxMs at most. What the connect storm freed, the allocator and V8
 * give back within seconds; what stays is live memory (or high-water that will not come back).
 */
export async function settledRss(ctx: RunContext): Promise<Settled> {
  const t0 = Date.now();
  const window = settle.windowMs / settle.pollMs;
  const readings: number[] = [];
  for (;;) {
    const rss = ctx.monitor.rss();
    if (rss === null) return { rss: null, settleMs: Date.now() - t0 };
    readings.push(rss);
    const then = readings[readings.length - 1 - window];
    const waited = Date.now() - t0;
    if ((then !== undefined && rss >= then - settle.toleranceBytes) || waited >= settle.maxMs || ctx.remainingMs() === 0) return { rss, settleMs: waited };
    await ctx.sleep(settle.pollMs);
  }
}

/** One value from the gateway's /metrics (the first series of the name); null for the baseline or when unreadable. */
async function gatewayMetric(ctx: RunContext, name: string): Promise<number | null> {
  if (ctx.target.kind !== 'herald') return null;
  try {
    const res = await fetch(`${ctx.target.metricsUrl ?? ctx.target.apiUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(await res.text());
    return m ? Number(m[1]) : null;
  } catch (err) {
    ctx.log(`hold: could not read ${name}: ${(err as Error).message}`);
    return null;
  }
}

/** The gateway's JS heap in use (bytes); null for the baseline or when unreadable. */
export const heapUsed = (ctx: RunContext): Promise<number | null> => gatewayMetric(ctx, heapMetric);

/**
 * Waits until the room has run its full GCs after the ramp (its compaction and the follow-up,
 * which it runs by itself once connects stop; how soon depends on when it finds a quiet window),
 * at most maxCompactionWaitMs: a reading in between would catch the storm's garbage half given
 * back. Answers the ms waited. No wait for the baseline or a gateway without the metric.
 */
export async function awaitCompaction(ctx: RunContext): Promise<number> {
  const t0 = Date.now();
  while ((await gatewayMetric(ctx, compactionDueMetric)) === 1) {
    if (Date.now() - t0 >= maxCompactionWaitMs || ctx.remainingMs() === 0) {
      ctx.log(`hold: the room's GCs after the ramp did not run within ${maxCompactionWaitMs / 1000} s; reading anyway`);
      break;
    }
    await ctx.sleep(500);
  }
  return Date.now() - t0;
}

const perDevice = (before: number | null, after: number | null, n: number): number | null =>
  before !== null && after !== null && n > 0 ? Math.round((after - before) / n) : null;

export async function hold(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, monitor, fleet } = ctx;
  // Every reading after the same quiet (see below); this one also lets a server just started settle.
  await ctx.sleep(o.settleMs);
  await awaitCompaction(ctx);
  const before = await settledRss(ctx);
  const heapBefore = await heapUsed(ctx);
  const first = await ctx.ramp([0, 0.5]);
  // Quiet first, as after the hold: time for what a server does once a ramp is over (the room's
  // full GC after a connect storm, compact.ts), so both readings are taken the same way.
  await ctx.sleep(o.settleMs);
  const midWaitMs = await awaitCompaction(ctx);
  const mid = await settledRss(ctx);
  const atMid = fleet.totalConnected();
  const ramp = await ctx.ramp([0.5, 1]);
  const rssConnected = monitor.rss();
  ctx.log(`hold: ${fleet.totalConnected()} connected (${first.connected} + ${ramp.connected}); holding ${o.durationMs / 1000} s`);
  await ctx.sleep(o.durationMs);
  const rssHeld = monitor.rss();
  const compactionWaitMs = await awaitCompaction(ctx);
  const after = await settledRss(ctx);
  const heapAfter = await heapUsed(ctx);
  const held = fleet.totalConnected();
  ctx.log(`hold: RSS settled in ${(after.settleMs / 1000).toFixed(1)} s (${rssHeld ?? '-'} -> ${after.rss ?? '-'} B)`);
  return {
    ...ramp, devices: o.devices, connected: held, failed: first.failed + ramp.failed,
    rampSeconds: first.rampSeconds + ramp.rampSeconds, heldSeconds: o.durationMs / 1000, connectedAtEnd: held,
    rssBeforeBytes: before.rss, rssMidBytes: mid.rss, connectedAtMid: atMid, rssConnectedBytes: rssConnected, rssHeldBytes: rssHeld,
    rssSettledBytes: after.rss, rssSettleMs: after.settleMs, compactionWaitMidMs: midWaitMs, compactionWaitMs,
    rssPerDeviceBytes: perDevice(mid.rss, after.rss, held - atMid),
    rssPerDeviceWholeBytes: perDevice(before.rss, after.rss, held),
    heapUsedBeforeBytes: heapBefore, heapUsedAfterBytes: heapAfter, heapUsedPerDeviceBytes: perDevice(heapBefore, heapAfter, held),
  };
}
