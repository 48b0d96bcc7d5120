/**
 * The bench's printed table: figure | target | measured | baseline | verdict, from the
 * summaries of the bench's runs (a missing summary = the step could not run).
 */

type Summary = Record<string, unknown> | undefined;

/** Summaries of the bench's steps, by step. */
export interface BenchFigures {
  bare?: Summary;
  room?: Summary;
  /** hold under node's default flags (the room's figures use roomNodeFlags): informative. */
  roomDefaultFlags?: Summary;
  /** hold on one room process of a local cluster: the register's sessions live in Redis, not in the room. */
  roomCluster?: Summary;
  storm?: Summary;
  /** storm into one room process of a local cluster. */
  stormCluster?: Summary;
  unicast?: Summary;
  p99?: Summary;
  churn?: Summary;
}

interface Row {
  figure: string;
  target: string;
  measured: string;
  baseline: string;
  verdict: string;
}

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const fmt = (x: number | undefined, unit = ''): string => (x === undefined ? '-' : `${Math.round(x).toLocaleString('en-US')}${unit}`);
const get = (s: Summary, path: string): number | undefined => {
  let v: unknown = s;
  for (const k of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return num(v);
};
const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'met' : 'MISSED');

const memoryRuns = {
  room: 'standalone: all six services, memory drivers, room flags',
  roomDefaultFlags: 'standalone, memory drivers, node default flags',
  roomCluster: 'one room process of a cluster, register on Redis, room flags',
} as const;

/**
 * The verdict uses the growth over the whole ramp: both of its readings are taken at rest (after
 * the quiet the hold waits, so the room's full GC after a storm has run). The second half's
 * figure is shown too; its mid reading can fall before V8 has given the storm's pages back, so
 * it swings either way by up to ~1 KB per device.
 */
function memoryRow(f: BenchFigures, devices: number, which: keyof typeof memoryRuns): Row {
  const room = get(f[which], 'rssPerDeviceWholeBytes');
  const bare = get(f.bare, 'rssPerDeviceWholeBytes');
  const half = (s: Summary): string => `(2nd half ${fmt(get(s, 'rssPerDeviceBytes'), ' B')})`;
  const limit = bare === undefined ? undefined : 2 * bare;
  const informative = which === 'roomDefaultFlags';
  return {
    figure: `room RSS per idle authenticated device (${devices.toLocaleString('en-US')}, ${memoryRuns[which]}, whole ramp)`,
    target: informative ? '(informative)' : limit === undefined ? '<= 2x baseline' : `<= 2x baseline (${fmt(limit, ' B')})`,
    measured: `${fmt(room, ' B')} ${half(f[which])}`, baseline: `${fmt(bare, ' B/socket')} ${half(f.bare)}`,
    verdict: informative ? '' : verdict(room === undefined || limit === undefined ? undefined : room <= limit),
  };
}

/** Informative, room only: growth of the gateway's JS heap in use per device (not collected first). */
function heapRow(f: BenchFigures, devices: number, which: 'room' | 'roomCluster'): Row {
  return {
    figure: `room JS heap used per idle device (${devices.toLocaleString('en-US')}, ${which === 'room' ? 'standalone, memory drivers' : 'one room process of a cluster'}, /metrics)`,
    target: '(informative)', measured: fmt(get(f[which], 'heapUsedPerDeviceBytes'), ' B'), baseline: '-', verdict: '',
  };
}

function broadcastRow(f: BenchFigures, phase: 'series' | 'bursts', devices: number): Row {
  const room = get(f.room, `${phase}.deliveriesPerSecond`);
  const bare = get(f.bare, `${phase}.deliveriesPerSecond`);
  const all = (f.room?.everyDeviceGotEvery as boolean | undefined) ?? undefined;
  const floor = bare === undefined ? undefined : 0.8 * bare;
  return {
    figure: `broadcast deliveries/s to ${devices.toLocaleString('en-US')}, ${phase === 'series' ? 'in series' : 'bursts of 16'}`,
    target: floor === undefined ? '>= 80% of baseline' : `>= 80% of baseline (${fmt(floor, '/s')})`,
    measured: `${fmt(room, '/s')}${all === false ? ' (NOT all delivered)' : ''}`, baseline: fmt(bare, '/s'),
    verdict: verdict(room === undefined || floor === undefined ? undefined : room >= floor && all === true),
  };
}

function stormRow(s: Summary, where: string): Row {
  const rate = get(s, 'connectsPerSecond');
  return {
    figure: `connect storm (${fmt(get(s, 'devices'))} devices, ${where})`, target: '>= 5,000/s',
    measured: `${fmt(rate, '/s')} (p99 ${get(s, 'connectP99Ms') ?? '-'} ms, ${fmt(get(s, 'failed'))} failed, ${fmt(get(s, 'listenOverflows'))} listen overflows)`,
    baseline: '-', verdict: verdict(rate === undefined ? undefined : rate >= 5000),
  };
}

function redisRows(f: BenchFigures): Row[] {
  const sustained = get(f.unicast, 'acceptedPerSecond');
  const delivered = get(f.unicast, 'totalDeliveries');
  const secs = get(f.unicast, 'pushSeconds');
  const p99 = get(f.p99, 'latencyP99AfterWarmupMs');
  const lost = get(f.churn, 'lost');
  const missing = get(f.unicast, 'missing');
  return [
    {
      figure: 'unicast msgs/s sustained 30 s (redis + mysql, qos 1)', target: '>= 10,000/s',
      measured: `${fmt(sustained, '/s')} accepted, ${fmt(delivered !== undefined && secs ? delivered / secs : undefined, '/s')} delivered${missing ? `, ${missing} missing` : ''}`,
      baseline: '-', verdict: verdict(sustained === undefined ? undefined : sustained >= 10_000),
    },
    {
      figure: `unicast p99 API-to-device at 5,000/s, after ${fmt(get(f.p99, 'warmupSeconds'))} s of warm-up (achieved ${fmt(get(f.p99, 'acceptedPerSecond'), '/s')})`,
      target: '<= 50 ms',
      measured:
        p99 === undefined
          ? '-'
          : `${p99} ms (p50 ${get(f.p99, 'latencyP50AfterWarmupMs') ?? '-'} ms; 2nd half p99 ${get(f.p99, 'latencyP99SecondHalfMs') ?? '-'} ms; warm-up included p99 ${get(f.p99, 'latencyP99Ms') ?? '-'} ms)`,
      baseline: '-',
      verdict: verdict(p99 === undefined ? undefined : p99 <= 50),
    },
    stormRow(f.storm, 'standalone, redis register'),
    stormRow(f.stormCluster, 'one room process of a cluster'),
    {
      figure: `churn 1%/s with unicast running: qos 1 messages lost`,
      target: '0', measured: lost === undefined ? '-' : `${lost} of ${fmt(get(f.churn, 'pushesAccepted'))} (${fmt(get(f.churn, 'churned'))} reconnects)`, baseline: '-',
      verdict: verdict(lost === undefined ? undefined : lost === 0),
    },
  ];
}

/** The table as fixed-width text; memoryOnly keeps the rows of `bench --only memory`. */
export function benchTable(f: BenchFigures, roomDevices: number, memoryOnly = false): string {
  const memory = [memoryRow(f, roomDevices, 'room'), memoryRow(f, roomDevices, 'roomDefaultFlags'), heapRow(f, roomDevices, 'room')];
  const rows = memoryOnly ? memory : [...memory, memoryRow(f, roomDevices, 'roomCluster'), heapRow(f, roomDevices, 'roomCluster'), broadcastRow(f, 'series', roomDevices), broadcastRow(f, 'bursts', roomDevices), ...redisRows(f)];
  const head: Row = { figure: 'figure', target: 'target', measured: 'measured', baseline: 'baseline', verdict: '' };
  const keys = ['figure', 'target', 'measured', 'baseline', 'verdict'] as const;
  const width = keys.map((k) => Math.max(...[head, ...rows].map((r) => r[k].length)));
  const line = (r: Row): string => keys.map((k, i) => r[k].padEnd(width[i])).join(' | ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
