/**
 * churn: unicast pushes run while a share of the devices drops abruptly and reconnects every
 * second (flash reconnects). At the end every qos 1 push the center accepted must have
 * arrived at least once: zero lost.
 */
import type { RunContext } from '../run';
import { awaitArrivals } from './unicast';

export async function churn(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, fleet } = ctx;
  const ramp = await ctx.ramp();
  const pusher = ctx.pusher();
  const perSecond = Math.max(1, Math.round(ramp.connected * o.churnShare));
  ctx.log(`churn: ${ramp.connected} connected; ${perSecond} reconnect every second while pushing ${o.rate}/s for ${o.durationMs / 1000} s`);
  const pushing = pusher.run(o.rate, o.durationMs);
  let churned = 0;
  const seconds = Math.ceil(o.durationMs / 1000);
  // Bounded: one churn per second of the duration.
  for (let s = 0; s < seconds && !ctx.signal.aborted && ctx.remainingMs() > 0; s++) {
    fleet.churn(perSecond);
    churned += perSecond;
    await ctx.sleep(1000);
  }
  await pushing;
  // Devices dropped last reconnect and get their inbox: allow them time.
  const lost = await awaitArrivals(ctx, Math.max(10_000, o.settleMs));
  return {
    ...ramp, rateTarget: o.rate, qos: o.qos, churnPerSecond: perSecond, churned,
    pushesAccepted: pusher.acceptedTotal, lost: lost.length, lostSample: lost.slice(0, 20),
    zeroLoss: o.qos === 1 ? lost.length === 0 : 'n/a (qos 0)', duplicates: fleet.duplicates, connectedAtEnd: fleet.totalConnected(),
  };
}
