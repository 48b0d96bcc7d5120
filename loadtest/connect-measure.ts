/**
 * Rough connect figures for one room: starts the standalone gateway as a child process, opens
 * N authenticated WebSockets at a paced rate, and reports connect+auth rate, latency, and the
 * server's RSS and CPU. A stopgap until the full load-test tool exists; loopback only.
 *
 *   npm run build && node dist/loadtest/connect-measure.js --devices 3000 --rate 1000
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { signToken } from '../shared/auth/jwt';
import { decodeServerFrame, encodeClientFrame } from '../shared/protocol/codec';
import { demoApp } from '../services/standalone/demo-app';
import { readCpu, readRss, startMeasuredServer, type CpuTime, type MeasuredServer } from './measure-server';

/** Command-line options (all bounded: see parseOptions). */
interface Options {
  devices: number;
  rate: number;
  inflight: number;
  deadlineMs: number;
  settleMs: number;
  timeoutMs: number;
  redisUrl?: string;
  mysqlUrl?: string;
}

/** What the ramp saw; latencies in ms, filled up to `connected`. */
interface RampStats {
  started: number;
  connected: number;
  failed: number;
  inflight: number;
  latencies: Float64Array;
  firstStartAt: number;
  lastAuthOkAt: number;
  failures: Map<string, number>;
  drops: Map<string, number>;
  sockets: WebSocket[];
  closing: boolean;
}

const maxDevices = 15_000; // this process may open at most 20,000 files
let aborted = false;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function intOption(raw: string | undefined, name: string, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: must be an integer from ${min} to ${max} (got "${raw}")`);
  return n;
}

function loopbackUrl(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined) return undefined;
  let host: string;
  try {
    host = new URL(raw).hostname;
  } catch {
    throw new Error(`--${name}: not a URL: ${raw}`);
  }
  if (host !== 'localhost' && !/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`--${name}: only 127.0.0.0/8 targets are allowed (got ${host})`);
  return raw;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: 'string' }, rate: { type: 'string' }, inflight: { type: 'string' }, deadline: { type: 'string' },
      settle: { type: 'string' }, timeout: { type: 'string' }, redis: { type: 'string' }, mysql: { type: 'string' },
    },
  });
  const o: Options = {
    devices: intOption(values.devices, 'devices', 3000, 1, maxDevices),
    rate: intOption(values.rate, 'rate', 1000, 1, 50_000),
    inflight: intOption(values.inflight, 'inflight', 200, 1, 2000),
    deadlineMs: intOption(values.deadline, 'deadline', 120, 5, 3600) * 1000,
    settleMs: intOption(values.settle, 'settle', 2000, 0, 60_000),
    timeoutMs: intOption(values.timeout, 'timeout', 15_000, 100, 120_000),
    redisUrl: loopbackUrl(values.redis, 'redis'),
    mysqlUrl: loopbackUrl(values.mysql, 'mysql'),
  };
  if (Boolean(o.redisUrl) !== Boolean(o.mysqlUrl)) throw new Error('--redis and --mysql go together (driver redis needs both)');
  return o;
}

/** 127.0.0.2 .. 127.0.0.250, so no one source address runs out of ephemeral ports. */
function sourceAddress(i: number): string {
  return `127.0.0.${2 + (i % 249)}`;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Opens one socket, sends Auth, resolves on AuthOk or failure (never rejects). */
function connectOne(i: number, url: string, s: RampStats, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    if (s.firstStartAt === 0) s.firstStartAt = t0;
    const token = signToken({ sub: `measure-${i}`, app: demoApp.id, exp: Math.floor(Date.now() / 1000) + 7200 }, demoApp.secret);
    const ws = new WebSocket(url, { localAddress: sourceAddress(i), perMessageDeflate: false, handshakeTimeout: timeoutMs });
    let done = false;
    const finish = (failure?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (failure === undefined) {
        s.lastAuthOkAt = performance.now();
        s.latencies[s.connected++] = s.lastAuthOkAt - t0;
        s.sockets.push(ws);
      } else {
        s.failed++;
        count(s.failures, failure);
        ws.terminate();
      }
      resolve();
    };
    const timer = setTimeout(() => finish(`no AuthOk within ${timeoutMs} ms`), timeoutMs);
    ws.on('open', () => ws.send(encodeClientFrame({ seq: 1, auth: { tokens: [token], platform: 'connect-measure' } })));
    ws.on('message', (data: Buffer) => {
      if (done) return;
      try {
        const body = decodeServerFrame(data).body;
        finish(body === 'authOk' ? undefined : `server answered ${body}`);
      } catch (err) {
        finish((err as Error).message);
      }
    });
    ws.on('error', (err) => finish(`error: ${err.message.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'ADDR')}`));
    ws.on('close', (code) => {
      if (!done) finish(`closed ${code} before AuthOk`);
      else if (!s.closing) count(s.drops, `close ${code}`);
    });
  });
}

function progress(s: RampStats, o: Options, t0: number, prev: { at: number; connected: number }): void {
  const now = performance.now();
  // A rate over a short last interval means little: show it only over half a second or more.
  const rate = now - prev.at >= 500 ? (((s.connected - prev.connected) * 1000) / (now - prev.at)).toFixed(0) : '-';
  const line = `[${((now - t0) / 1000).toFixed(1).padStart(5)}s] connected ${s.connected}/${o.devices}`;
  process.stdout.write(`${line}  in flight ${s.inflight}  failed ${s.failed}  ${rate}/s\n`);
  prev.at = now;
  prev.connected = s.connected;
}

/** Starts connections at o.rate per second, at most o.inflight at once, until done or the deadline. */
async function ramp(o: Options, url: string, s: RampStats, deadlineAt: number): Promise<void> {
  const t0 = performance.now();
  const prev = { at: t0, connected: 0 };
  let nextProgress = t0 + 1000;
  while ((s.started < o.devices || s.inflight > 0) && Date.now() < deadlineAt && !aborted) {
    const due = Math.min(o.devices, Math.floor(((performance.now() - t0) / 1000) * o.rate) + 1);
    while (s.started < due && s.inflight < o.inflight) {
      s.inflight++;
      void connectOne(s.started++, url, s, o.timeoutMs).then(() => {
        s.inflight--;
      });
    }
    if (performance.now() >= nextProgress) {
      progress(s, o, t0, prev);
      nextProgress += 1000;
    }
    await sleep(2);
  }
  progress(s, o, t0, prev);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const cpuMs = (c: CpuTime): number => c.userMs + c.systemMs;

/** Server readings taken around the ramp. */
interface Readings {
  rssBefore: number;
  rssConnected: number;
  rssSettled: number;
  /** Wait before rssSettled: o.settleMs, or less when the deadline came first. */
  settleMs: number;
  cpuBefore: CpuTime;
  cpuAfter: CpuTime;
  clientCpuMs: number;
}

function summarize(o: Options, s: RampStats, r: Readings): Record<string, unknown> {
  const lat = s.latencies.slice(0, s.connected).sort();
  const spanMs = s.connected > 0 ? s.lastAuthOkAt - s.firstStartAt : NaN;
  const perConn = (rss: number): number | null => (s.connected > 0 ? Math.round((rss - r.rssBefore) / s.connected) : null);
  return {
    driver: o.redisUrl ? 'redis' : 'memory', devices: o.devices, rateTarget: o.rate, inflightCap: o.inflight,
    connected: s.connected, failed: s.failed, notStarted: o.devices - s.started,
    connectPerSec: Math.round((s.connected * 1000) / spanMs) || 0, spanMs: Math.round(spanMs),
    p50Ms: +percentile(lat, 50).toFixed(2), p99Ms: +percentile(lat, 99).toFixed(2), maxMs: +percentile(lat, 100).toFixed(2),
    settleMs: r.settleMs, rssBeforeBytes: r.rssBefore, rssConnectedBytes: r.rssConnected, rssSettledBytes: r.rssSettled,
    rssPerConnBytes: perConn(r.rssSettled), rssPerConnAtRampEndBytes: perConn(r.rssConnected),
    serverCpuMs: Math.round(cpuMs(r.cpuAfter) - cpuMs(r.cpuBefore)),
    serverUserMs: Math.round(r.cpuAfter.userMs - r.cpuBefore.userMs), serverSystemMs: Math.round(r.cpuAfter.systemMs - r.cpuBefore.systemMs),
    clientCpuMs: Math.round(r.clientCpuMs),
    failures: Object.fromEntries(s.failures), dropsAfterAuth: Object.fromEntries(s.drops),
  };
}

function printTable(x: Record<string, unknown>): void {
  const rows: [string, string][] = [
    ['driver', String(x.driver)],
    ['devices / connected / failed', `${x.devices} / ${x.connected} / ${x.failed}${x.notStarted ? ` (${x.notStarted} not started)` : ''}`],
    ['connect+auth rate', `${x.connectPerSec}/s over ${x.spanMs} ms (target ${x.rateTarget}/s, in flight <= ${x.inflightCap})`],
    ['connect+auth latency', `p50 ${x.p50Ms} ms  p99 ${x.p99Ms} ms  max ${x.maxMs} ms`],
    ['server RSS before', mib(x.rssBeforeBytes as number)],
    ['server RSS all connected', mib(x.rssConnectedBytes as number)],
    [`server RSS after ${x.settleMs} ms settle`, mib(x.rssSettledBytes as number)],
    ['RSS growth per connection', `${x.rssPerConnBytes ?? '-'} B (at ramp end ${x.rssPerConnAtRampEndBytes ?? '-'} B)`],
    ['server CPU during ramp', `${x.serverCpuMs} ms (user ${x.serverUserMs}, system ${x.serverSystemMs})`],
    ['client CPU during ramp', `${x.clientCpuMs} ms`],
    ['failures', JSON.stringify(x.failures)],
    ['drops after AuthOk', JSON.stringify(x.dropsAfterAuth)],
  ];
  process.stdout.write('\n' + rows.map(([k, v]) => `${k.padEnd(32)} ${v}`).join('\n') + '\n');
  process.stdout.write(JSON.stringify(x) + '\n');
}

/** Ramps up against a running server and reads its RSS/CPU around the ramp. */
async function measure(o: Options, server: MeasuredServer, deadlineAt: number): Promise<Record<string, unknown>> {
  const s: RampStats = {
    started: 0, connected: 0, failed: 0, inflight: 0, latencies: new Float64Array(o.devices), firstStartAt: 0, lastAuthOkAt: 0,
    failures: new Map(), drops: new Map(), sockets: [], closing: false,
  };
  try {
    await sleep(Math.min(o.settleMs, Math.max(0, deadlineAt - Date.now())));
    const rssBefore = readRss(server.pid);
    const cpuBefore = readCpu(server.pid);
    const clientBefore = process.cpuUsage();
    await ramp(o, server.roomUrl, s, deadlineAt);
    // Ctrl-C reaches the server too (same process group): its /proc entry may be gone.
    if (aborted) throw new Error(`interrupted after ${s.connected} connections: no figures`);
    const cpuAfter = readCpu(server.pid);
    const client = process.cpuUsage(clientBefore);
    const rssConnected = readRss(server.pid);
    const settleMs = Math.min(o.settleMs, Math.max(0, deadlineAt - Date.now()));
    await sleep(settleMs);
    const rssSettled = readRss(server.pid);
    const readings = { rssBefore, rssConnected, rssSettled, settleMs, cpuBefore, cpuAfter, clientCpuMs: (client.user + client.system) / 1000 };
    return summarize(o, s, readings);
  } finally {
    s.closing = true;
    for (const ws of s.sockets) ws.terminate();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const deadlineAt = Date.now() + o.deadlineMs;
  process.on('SIGINT', () => {
    aborted = true;
  });
  const storage = { redisUrl: o.redisUrl, mysqlUrl: o.mysqlUrl };
  const server = await startMeasuredServer(o.devices + 100, storage);
  process.stdout.write(`server pid ${server.pid} at ${server.roomUrl} (${o.redisUrl ? 'redis' : 'memory'} drivers)\n`);
  try {
    const result = await measure(o, server, deadlineAt);
    printTable(result);
  } finally {
    const stopMs = await server.stop();
    process.stdout.write(`server stopped in ${stopMs} ms; ${server.stderrLines()} warning/error lines on its stderr\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`connect-measure: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
