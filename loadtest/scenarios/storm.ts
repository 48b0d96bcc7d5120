/**
 * storm: N devices connect at once (as after a room restart), bounded only by each worker's
 * handshakes in flight. Reports connect + auth + register per second, its latency, and the
 * kernel's listen-queue overflows and SYN retransmits meanwhile (netstat.ts).
 */
import { connectDrops, readTcpExt } from '../netstat';
import type { RunContext } from '../run';

export async function storm(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o, fleet } = ctx;
  const rssBefore = ctx.monitor.rss();
  const tcpBefore = readTcpExt();
  const ramp = await ctx.ramp();
  const drops = connectDrops(tcpBefore, readTcpExt());
  ctx.log(`storm: ${ramp.connected}/${o.devices} connected in ${ramp.rampSeconds} s (${ramp.connectsPerSecond}/s); kernel: ${drops.listenOverflows ?? '?'} listen-queue overflows, ${drops.synRetransmits ?? '?'} SYN retransmits`);
  await ctx.sleep(o.settleMs);
  const rssAfter = ctx.monitor.rss();
  return { ...ramp, ...drops, connectedAfterSettle: fleet.totalConnected(), rssBeforeBytes: rssBefore, rssAfterBytes: rssAfter };
}
