/**
 * storm: N devices connect at once (as after a room restart), bounded only by each worker's
 * handshakes in flight. Reports connect + auth + register per second and its latency.
 */
import type { RunContext } from '../run';

export async function storm(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, fleet } = ctx;
  const rssBefore = ctx.monitor.rss();
  const ramp = await ctx.ramp();
  ctx.log(`storm: ${ramp.connected}/${o.devices} connected in ${ramp.rampSeconds} s (${ramp.connectsPerSecond}/s)`);
  await ctx.sleep(o.settleMs);
  const rssAfter = ctx.monitor.rss();
  return { ...ramp, connectedAfterSettle: fleet.totalConnected(), rssBeforeBytes: rssBefore, rssAfterBytes: rssAfter };
}
