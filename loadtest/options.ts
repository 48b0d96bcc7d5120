/**
 * The load-test command line: scenario, sizes, rates and target, checked and bounded.
 * Every size and time has a ceiling, and targets must be in 127.0.0.0/8 unless --allow-remote
 * is given and the target is an explicit IP address.
 */
import { isIP } from 'node:net';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { demoApp } from '../services/standalone/demo-app';

/** The repository root, from dist/loadtest/ or (under tsx) loadtest/. */
export const repoRoot = extname(__filename) === '.ts' ? join(__dirname, '..') : join(__dirname, '..', '..');

export const scenarioNames = ['hold', 'unicast', 'broadcast', 'churn', 'storm'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** Most sockets one worker process opens (this machine allows 20,000 open files per process). */
export const maxPerWorker = 8000;

/** Checked options of one run. Times in ms unless named otherwise. */
export interface LoadOptions {
  scenario: ScenarioName;
  devices: number;
  /** Pushes per second (unicast, churn). */
  rate: number;
  durationMs: number;
  /** Pushing at the rate before the measured durationMs, left out of the latency figures (unicast). */
  warmupMs: number;
  /** New connections per second during the ramp. */
  connectRate: number;
  /** Handshakes in flight per worker. */
  inflight: number;
  workers: number;
  /** Broadcasts to send (broadcast), and how many go out at once in the burst phase. */
  broadcasts: number;
  burst: number;
  /** Share of devices dropped and reconnected every second (churn). */
  churnShare: number;
  qos: 0 | 1;
  ttlSeconds: number;
  /** HTTP pushes in flight from the pusher. */
  pushInflight: number;
  /** Given servers; empty = start a standalone child. */
  roomUrl?: string;
  centerUrl?: string;
  serverPid?: number;
  redisUrl?: string;
  mysqlUrl?: string;
  /** Measure the bare uWebSockets.js baseline instead of Herald (hold, storm, broadcast). */
  baseline: boolean;
  cpuProf: boolean;
  app: string;
  apiKey: string;
  secret: string;
  reportDir: string;
  /** The whole run ends by this, whatever happens. */
  deadlineMs: number;
  /** Seconds of quiet after the load, for RSS to settle and late deliveries to arrive. */
  settleMs: number;
}

function intOpt(raw: string | undefined, name: string, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: must be an integer from ${min} to ${max} (got "${raw}")`);
  return n;
}

function numOpt(raw: string | undefined, name: string, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name}: must be a number from ${min} to ${max} (got "${raw}")`);
  return n;
}

/** Accepts a URL whose host is in 127.0.0.0/8 (or localhost), or any explicit IP with allowRemote. */
export function checkTargetUrl(raw: string, name: string, allowRemote: boolean): string {
  let host: string;
  try {
    host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  } catch {
    throw new Error(`--${name}: not a URL: ${raw}`);
  }
  if (host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return raw;
  if (!allowRemote) throw new Error(`--${name}: only 127.0.0.0/8 targets are allowed (got ${host}); give --allow-remote with an IP address to load another host`);
  if (isIP(host) === 0) throw new Error(`--${name}: with --allow-remote the target must be an explicit IP address, not the name ${host}`);
  return raw;
}

/** --target room=ws://...,center=http://... */
function parseTarget(raw: string | undefined, allowRemote: boolean): { roomUrl?: string; centerUrl?: string } {
  if (raw === undefined) return {};
  const out: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (eq < 0 || !['room', 'center'].includes(key)) throw new Error(`--target: expected room=URL,center=URL (got "${part}")`);
    out[key] = checkTargetUrl(part.slice(eq + 1), `target ${key}`, allowRemote);
  }
  if (!out.room || !out.center) throw new Error('--target: give both room=ws://HOST:PORT/ws and center=http://HOST:PORT');
  return { roomUrl: out.room, centerUrl: out.center };
}

const flags = {
  devices: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, 'connect-rate': { type: 'string' },
  inflight: { type: 'string' }, workers: { type: 'string' }, broadcasts: { type: 'string' }, burst: { type: 'string' },
  churn: { type: 'string' }, qos: { type: 'string' }, ttl: { type: 'string' }, 'push-inflight': { type: 'string' },
  warmup: { type: 'string' },
  target: { type: 'string' }, 'server-pid': { type: 'string' }, redis: { type: 'string' }, mysql: { type: 'string' },
  'allow-remote': { type: 'boolean' }, baseline: { type: 'boolean' }, 'cpu-prof': { type: 'boolean' },
  app: { type: 'string' }, 'api-key': { type: 'string' }, secret: { type: 'string' }, report: { type: 'string' },
  deadline: { type: 'string' }, settle: { type: 'string' }, help: { type: 'boolean' },
} as const;

export const usage = `usage: npm run loadtest -- <${scenarioNames.join('|')}> [options]
  --devices N          devices to connect (default 1000; storm 5000)
  --connect-rate N     new connections per second while ramping (default 2000; storm: all at once)
  --inflight N         handshakes in flight per worker process (default 1000; uWebSockets.js listens with a backlog of 512)
  --duration S         seconds to hold / push (default 10)
  --rate N             unicast pushes per second (default 1000)
  --warmup S           unicast: seconds of pushing at the rate before --duration, left out of the latency figures (default 0)
  --broadcasts N       broadcasts per phase (default 20)       --burst N   in flight in the burst phase (default 16)
  --churn F            share of devices reconnecting every second (default 0.01)
  --qos 0|1  --ttl S   of the pushes (default qos 1, ttl 600)
  --push-inflight N    unicast pushes awaiting the center's answer at once (default 128)
  --workers N          client processes (default: devices / ${maxPerWorker}, rounded up)
  --target room=URL,center=URL  a running gateway (default: start a standalone child, memory drivers)
  --server-pid PID     read RSS/CPU of a given target from /proc
  --redis URL --mysql URL       start the standalone child on the Redis + MySQL drivers
  --baseline           load the bare uWebSockets.js server instead (hold, storm, broadcast)
  --allow-remote       allow a target outside 127.0.0.0/8 (an explicit IP address)
  --cpu-prof           run the started server with node --cpu-prof (profile in the report dir)
  --report DIR         where the JSON and HTML go (default loadtest/reports/<scenario>-<time>)
  --deadline S         hard end of the whole run (default 900)   --settle S  quiet seconds after the load (default 2)`;

/** Parses argv (after the script name); throws with a message for the user on bad input. */
export function parseOptions(argv: string[], now = new Date()): LoadOptions | 'help' {
  const { values: v, positionals } = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true });
  if (v.help) return 'help';
  const scenario = positionals[0] as ScenarioName;
  if (positionals.length !== 1 || !scenarioNames.includes(scenario)) throw new Error(`give one scenario: ${scenarioNames.join(', ')}`);
  const remote = v['allow-remote'] === true;
  const devices = intOpt(v.devices, 'devices', scenario === 'storm' ? 5000 : 1000, 1, 100_000);
  const workers = intOpt(v.workers, 'workers', Math.ceil(devices / maxPerWorker), 1, 32);
  if (devices / workers > maxPerWorker) throw new Error(`--workers: ${workers} workers would hold more than ${maxPerWorker} sockets each; give at least ${Math.ceil(devices / maxPerWorker)}`);
  const qos = intOpt(v.qos, 'qos', 1, 0, 1) as 0 | 1;
  const redisUrl = v.redis === undefined ? undefined : checkTargetUrl(v.redis, 'redis', remote);
  const mysqlUrl = v.mysql === undefined ? undefined : checkTargetUrl(v.mysql, 'mysql', remote);
  if (Boolean(redisUrl) !== Boolean(mysqlUrl)) throw new Error('--redis and --mysql go together (the redis drivers need both)');
  const target = parseTarget(v.target, remote);
  if (target.roomUrl && (redisUrl || v.baseline)) throw new Error('--target names a running server: --redis, --mysql and --baseline start one');
  if (v.baseline && (scenario === 'unicast' || scenario === 'churn')) throw new Error(`--baseline: the bare server has no unicast API (${scenario})`);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    scenario, devices, workers, qos, redisUrl, mysqlUrl, ...target,
    rate: intOpt(v.rate, 'rate', 1000, 1, 100_000),
    durationMs: intOpt(v.duration, 'duration', 10, 1, 3600) * 1000,
    warmupMs: intOpt(v.warmup, 'warmup', 0, 0, 600) * 1000,
    connectRate: intOpt(v['connect-rate'], 'connect-rate', scenario === 'storm' ? 1_000_000 : 2000, 1, 1_000_000),
    inflight: intOpt(v.inflight, 'inflight', 1000, 1, maxPerWorker),
    broadcasts: intOpt(v.broadcasts, 'broadcasts', 20, 1, 10_000),
    burst: intOpt(v.burst, 'burst', 16, 1, 1024),
    churnShare: numOpt(v.churn, 'churn', 0.01, 0, 0.5),
    ttlSeconds: intOpt(v.ttl, 'ttl', 600, 0, 7 * 86_400),
    pushInflight: intOpt(v['push-inflight'], 'push-inflight', 128, 1, 4096),
    serverPid: v['server-pid'] === undefined ? undefined : intOpt(v['server-pid'], 'server-pid', 0, 1, 1 << 30),
    baseline: v.baseline === true,
    cpuProf: v['cpu-prof'] === true,
    app: v.app ?? demoApp.id,
    apiKey: v['api-key'] ?? demoApp.apiKeys[0],
    secret: v.secret ?? demoApp.secret,
    reportDir: v.report ?? join(repoRoot, 'loadtest', 'reports', `${scenario}-${stamp}`),
    deadlineMs: intOpt(v.deadline, 'deadline', 900, 5, 24 * 3600) * 1000,
    settleMs: intOpt(v.settle, 'settle', 2, 0, 600) * 1000,
  };
}
