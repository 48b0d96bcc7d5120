/**
 * unicast: with every device connected, push at rate R through the center API, one random
 * device per push (qos and ttl from the options), and measure API-to-device latency, acks
 * and what arrived of what the center accepted.
 */
import { minus, percentileOf } from '../histogram';
import type { RunContext } from '../run';

/** Waits up to maxMs for every accepted push to arrive; answers the sequence numbers still missing. */
export async function awaitArrivals(ctx: RunContext, maxMs: number): Promise<number[]> {
  const pusher = ctx.pusher();
  const until = Date.now() + maxMs;
  let lost = pusher.lost(ctx.fleet.received, pusher.nextSeq);
  // Bounded by maxMs; polled once a second (the workers report every reportMs).
  while (lost.length > 0 && Date.now() < until && !ctx.signal.aborted) {
    await ctx.sleep(1000);
    lost = pusher.lost(ctx.fleet.received, pusher.nextSeq);
  }
  return lost;
}

/** The latency counts once `afterMs` of the pushing went by; null when the run ended first. */
async function latencyAt(ctx: RunContext, running: Promise<void>, afterMs: number): Promise<Uint32Array | null> {
  const reached = await Promise.race([ctx.sleep(afterMs).then(() => true), running.then(() => false)]);
  return reached ? ctx.monitor.totals.latency.slice() : null;
}

/**
 * Latency percentiles of what arrived after the warm-up, and of the measured part's second half,
 * like the memory rows' second half. A burst from idle starts with a second or two of queueing
 * (cold code in a new process, the new fleet's first pushes, the stores' own work left from
 * what ran before): --warmup keeps it out of the figures, and the whole run's percentiles,
 * warm-up included, stay in the summary.
 */
async function measuredLatency(ctx: RunContext, running: Promise<void>): Promise<Record<string, number | null>> {
  const { warmupMs, durationMs } = ctx.o;
  const warm = warmupMs > 0 ? await latencyAt(ctx, running, warmupMs) : new Uint32Array(ctx.monitor.totals.latency.length);
  const half = warm ? await latencyAt(ctx, running, durationMs / 2) : null;
  await running;
  const all = ctx.monitor.totals.latency;
  const after = warm ? minus(all, warm) : null;
  return {
    warmupSeconds: warmupMs / 1000,
    latencyP50AfterWarmupMs: after ? percentileOf(after, 50) : null,
    latencyP99AfterWarmupMs: after ? percentileOf(after, 99) : null,
    latencyP99SecondHalfMs: half ? percentileOf(minus(all, half), 99) : null,
  };
}

export async function unicast(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, fleet, monitor } = ctx;
  const ramp = await ctx.ramp();
  const pusher = ctx.pusher();
  const warm = o.warmupMs > 0 ? ` after ${o.warmupMs / 1000} s of warm-up` : '';
  ctx.log(`unicast: ${ramp.connected} connected; pushing ${o.rate}/s for ${o.durationMs / 1000} s${warm}`);
  const running = pusher.run(o.rate, o.warmupMs + o.durationMs);
  const latency = await measuredLatency(ctx, running);
  const pushMs = pusher.lastRunMs;
  // Anything not in after 1 s + settle counts as missing (with qos 0 it may be gone for good).
  const missing = await awaitArrivals(ctx, 1100 + o.settleMs);
  monitor.flush();
  return {
    ...ramp, rateTarget: o.rate, qos: o.qos, pushSeconds: pushMs / 1000,
    pushesSent: pusher.sentTotal, pushesAccepted: pusher.acceptedTotal,
    acceptedPerSecond: Math.round((pusher.acceptedTotal * 1000) / Math.max(1, pushMs)),
    missing: missing.length, missingSample: missing.slice(0, 20), duplicates: fleet.duplicates,
    // The whole run's percentiles (warm-up included) are in the totals.
    ...latency,
  };
}
