/**
 * broadcast: with every device connected, send M broadcasts one after another (each waits
 * until every device has it), then M more in bursts (`burst` in flight at once). Reports the
 * arrival spread per broadcast and deliveries per second of each phase. Against the bare
 * uWebSockets.js baseline a burst is one publish call of `burst` payloads.
 */
import { encodePayload, epochMs } from '../ipc';
import type { BroadcastArrival } from '../fleet';
import type { RunContext } from '../run';

/** How long one broadcast (or burst) may take to reach everyone before it counts as incomplete. */
const arrivalTimeoutMs = 30_000;

async function post(url: string, headers: Record<string, string>, body?: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(arrivalTimeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
}

/** Sends broadcasts first..first+count-1 (a burst: at once). */
async function send(ctx: RunContext, first: number, count: number): Promise<void> {
  const { target, o } = ctx;
  ctx.fleet.second.pushes += count;
  if (target.kind === 'bare') return post(`${target.apiUrl}/publish?n=${first}&count=${count}`, {});
  const url = `${target.apiUrl}/v1/apps/${encodeURIComponent(o.app)}/messages`;
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' };
  const sends: Promise<void>[] = [];
  for (let n = first; n < first + count; n++) {
    const body = JSON.stringify({ to: { all: true }, payloadBase64: encodePayload(n).toString('base64'), ttl: o.ttlSeconds, qos: o.qos });
    sends.push(post(url, headers, body));
  }
  await Promise.all(sends);
}

/**
 * Opens `n` keep-alive connections to the center before the burst phase (n GETs at once), so
 * a burst measures the gateway, not the load generator's TCP handshakes: without it the
 * first burst's requests trickle in one connect at a time and are published one by one.
 */
async function warmConnections(ctx: RunContext, n: number): Promise<void> {
  if (ctx.target.kind === 'bare' || n <= 1) return;
  const url = `${ctx.target.apiUrl}/healthz`;
  await Promise.all(Array.from({ length: n }, async () => (await fetch(url, { signal: AbortSignal.timeout(arrivalTimeoutMs) })).text()));
}

/** Phase figures: deliveries per second over the phase and the per-broadcast spread. */
export interface Phase {
  broadcasts: number;
  complete: number;
  deliveries: number;
  expected: number;
  seconds: number;
  deliveriesPerSecond: number;
  /** First to last arrival of one broadcast, ms. */
  spreadP50Ms: number | null;
  spreadMaxMs: number | null;
  /** Send to last arrival of one broadcast, ms. */
  lastArrivalP50Ms: number | null;
  lastArrivalMaxMs: number | null;
}

function phaseFigures(arrivals: { sentAt: number; a: BroadcastArrival }[], connected: number, ms: number): Phase {
  const spreads = arrivals.map((x) => x.a.last - x.a.first).sort((p, q) => p - q);
  const lasts = arrivals.map((x) => x.a.last - x.sentAt).sort((p, q) => p - q);
  const pick = (xs: number[], p: number): number | null => (xs.length === 0 ? null : Math.round(xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] * 100) / 100);
  const deliveries = arrivals.reduce((n, x) => n + x.a.count, 0);
  return {
    broadcasts: arrivals.length, complete: arrivals.filter((x) => x.a.complete).length, deliveries, expected: arrivals.length * connected,
    seconds: ms / 1000, deliveriesPerSecond: Math.round((deliveries * 1000) / Math.max(1, ms)),
    spreadP50Ms: pick(spreads, 50), spreadMaxMs: pick(spreads, 100), lastArrivalP50Ms: pick(lasts, 50), lastArrivalMaxMs: pick(lasts, 100),
  };
}

/** Sends `total` broadcasts in groups of `group` (1 = in series); each group waits for full arrival. */
async function phase(ctx: RunContext, firstSeq: number, total: number, group: number, connected: number): Promise<Phase> {
  const arrivals: { sentAt: number; a: BroadcastArrival }[] = [];
  const t0 = epochMs();
  let lastArrival = t0;
  // Bounded by `total` and the run's deadline.
  for (let n = firstSeq; n < firstSeq + total && ctx.remainingMs() > 0 && !ctx.signal.aborted; n += group) {
    const k = Math.min(group, firstSeq + total - n);
    const waits: Promise<BroadcastArrival>[] = [];
    for (let i = 0; i < k; i++) waits.push(ctx.fleet.waitBroadcast(n + i, arrivalTimeoutMs));
    const sentAt = epochMs();
    await send(ctx, n, k);
    for (const a of await Promise.all(waits)) {
      arrivals.push({ sentAt, a });
      if (a.last > lastArrival) lastArrival = a.last;
    }
  }
  return phaseFigures(arrivals, connected, lastArrival - t0);
}

/** Both phases against the devices connected now: M in series, then M in bursts. */
export async function broadcastPhases(ctx: RunContext, connected: number): Promise<{ series: Phase; bursts: Phase; everyDeviceGotEvery: boolean }> {
  const { o } = ctx;
  ctx.log(`broadcast: ${connected} connected; ${o.broadcasts} in series, then ${o.broadcasts} in bursts of ${o.burst}`);
  const series = await phase(ctx, 1, o.broadcasts, 1, connected);
  ctx.log(`broadcast: in series ${series.deliveriesPerSecond} deliveries/s (${series.complete}/${series.broadcasts} complete)`);
  await ctx.sleep(500);
  await warmConnections(ctx, o.burst);
  const bursts = await phase(ctx, 1 + o.broadcasts, o.broadcasts, o.burst, connected);
  ctx.log(`broadcast: in bursts of ${o.burst} ${bursts.deliveriesPerSecond} deliveries/s (${bursts.complete}/${bursts.broadcasts} complete)`);
  const everyDeviceGotEvery = series.deliveries === series.expected && bursts.deliveries === bursts.expected && series.expected > 0;
  return { series, bursts, everyDeviceGotEvery };
}

export async function broadcast(ctx: RunContext): Promise<Record<string, unknown>> {
  const { o } = ctx;
  const ramp = await ctx.ramp();
  const phases = await broadcastPhases(ctx, ramp.connected);
  await ctx.sleep(o.settleMs);
  return { ...ramp, burst: o.burst, qos: o.qos, ...phases };
}
