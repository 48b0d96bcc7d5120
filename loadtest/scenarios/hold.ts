/**
 * hold: ramp to N authenticated devices at the connect rate, then hold them (heartbeats
 * running) for the duration. Reports the server's RSS growth per device.
 */
import type { RunContext } from '../run';

export async function hold(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, monitor, fleet } = ctx;
  const rssBefore = monitor.rss();
  const ramp = await ctx.ramp();
  const rssConnected = monitor.rss();
  ctx.log(`hold: ${ramp.connected} connected in ${ramp.rampSeconds} s; holding ${o.durationMs / 1000} s`);
  await ctx.sleep(o.durationMs);
  const rssHeld = monitor.rss();
  const held = fleet.totalConnected();
  const perDevice = rssBefore !== null && rssHeld !== null && held > 0 ? Math.round((rssHeld - rssBefore) / held) : null;
  return {
    ...ramp, heldSeconds: o.durationMs / 1000, connectedAtEnd: held,
    rssBeforeBytes: rssBefore, rssConnectedBytes: rssConnected, rssHeldBytes: rssHeld, rssPerDeviceBytes: perDevice,
  };
}
