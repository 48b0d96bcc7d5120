/**
 * unicast: with every device connected, push at rate R through the center API, one random
 * device per push (qos and ttl from the options), and measure API-to-device latency, acks
 * and what arrived of what the center accepted.
 */
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

export async function unicast(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, fleet, monitor } = ctx;
  const ramp = await ctx.ramp();
  const pusher = ctx.pusher();
  ctx.log(`unicast: ${ramp.connected} connected; pushing ${o.rate}/s for ${o.durationMs / 1000} s`);
  await pusher.run(o.rate, o.durationMs);
  const pushMs = pusher.lastRunMs;
  // Anything not in after 1 s + settle counts as missing (with qos 0 it may be gone for good).
  const missing = await awaitArrivals(ctx, 1100 + o.settleMs);
  monitor.flush();
  return {
    ...ramp, rateTarget: o.rate, qos: o.qos, pushSeconds: pushMs / 1000,
    pushesSent: pusher.sentTotal, pushesAccepted: pusher.acceptedTotal,
    acceptedPerSecond: Math.round((pusher.acceptedTotal * 1000) / Math.max(1, pushMs)),
    missing: missing.length, missingSample: missing.slice(0, 20), duplicates: fleet.duplicates,
  };
}
