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

/**
 * The latency counts halfway through the pushing, so that the second half gets a figure of its
 * own, like the memory rows' second half: a burst from idle starts with seconds of queueing
 * (cold code, a young generation growing, the pusher's first connections). Null when the run
 * ended first.
 */
async function latencyAtHalf(ctx: RunContext, running: Promise<void>): Promise<Uint32Array | null> {
  const half = await Promise.race([ctx.sleep(ctx.o.durationMs / 2).then(() => true), running.then(() => false)]);
  return half ? ctx.monitor.totals.latency.slice() : null;
}

export async function unicast(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, fleet, monitor } = ctx;
  const ramp = await ctx.ramp();
  const pusher = ctx.pusher();
  ctx.log(`unicast: ${ramp.connected} connected; pushing ${o.rate}/s for ${o.durationMs / 1000} s`);
  const running = pusher.run(o.rate, o.durationMs);
  const atHalf = await latencyAtHalf(ctx, running);
  await running;
  const pushMs = pusher.lastRunMs;
  // Anything not in after 1 s + settle counts as missing (with qos 0 it may be gone for good).
  const missing = await awaitArrivals(ctx, 1100 + o.settleMs);
  monitor.flush();
  return {
    ...ramp, rateTarget: o.rate, qos: o.qos, pushSeconds: pushMs / 1000,
    pushesSent: pusher.sentTotal, pushesAccepted: pusher.acceptedTotal,
    acceptedPerSecond: Math.round((pusher.acceptedTotal * 1000) / Math.max(1, pushMs)),
    missing: missing.length, missingSample: missing.slice(0, 20), duplicates: fleet.duplicates,
    // The whole run's percentiles are in the totals; this one is of the second half alone.
    latencyP99SecondHalfMs: atHalf ? percentileOf(minus(monitor.totals.latency, atHalf), 99) : null,
  };
}
