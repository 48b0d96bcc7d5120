/**
 * What the load test runs against: the standalone gateway or the bare uWebSockets.js baseline
 * started as child processes (so their memory and CPU are read alone, from /proc), or servers
 * the user names. Also the /proc readers. Linux only.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { freePort } from '../shared/testing/test-services';

/** A server under load: where clients connect, where pushes go, and its pid when known. */
export interface Target {
  kind: 'herald' | 'bare';
  roomUrl: string;
  /** Center base URL (herald) or the baseline's base URL (bare). */
  apiUrl: string;
  /** Server pid for /proc readings; undefined for a server the user started. */
  pid?: number;
  /** Where the measured process answers /metrics, when not at apiUrl (a cluster's room). */
  metricsUrl?: string;
  /** Warning/error lines the server wrote to stderr. */
  stderrLines(): number;
  /** Stops a server this tool started (SIGTERM, SIGKILL after killAfterMs); answers ms taken. Safe twice. */
  stop(killAfterMs?: number): Promise<number>;
}

/** Storage of a started standalone: memory drivers, or Redis + MySQL at the given URLs. */
export interface StandaloneOptions {
  capacity: number;
  redisUrl?: string;
  mysqlUrl?: string;
  /** Write a CPU profile (node --cpu-prof) into this directory. */
  cpuProfDir?: string;
  /** Node flags for the server process (e.g. roomNodeFlags). */
  nodeFlags?: readonly string[];
  env?: Record<string, string>;
}

/** CPU time a process used so far, in milliseconds. */
export interface CpuTime {
  userMs: number;
  systemMs: number;
}

/** Server stderr lines echoed (each cut to echoWidth); the rest are only counted. */
const echoLimit = 5;
const echoWidth = 240;
const root = join(__dirname, '..');
/** .ts when run through tsx (tests), .js from dist/. */
const ext = extname(__filename);
const tsxArgs = ext === '.ts' ? ['--import', 'tsx'] : [];

/**
 * Environment every server under measurement (the baseline and the gateway alike) starts with,
 * so their RSS is read under the same allocator settings. MALLOC_ARENA_MAX=2 is a common
 * setting for Node servers: glibc otherwise keeps one arena per thread that touched malloc
 * (libuv's pool, V8's helpers), and each holds its own freed high-water.
 */
export const serverEnv: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** Forks one of this folder's scripts (worker, pusher, bare-uws) with IPC. */
export function forkScript(name: string, execArgv: string[] = [], env?: NodeJS.ProcessEnv): ChildProcess {
  return fork(join(__dirname, `${name}${ext}`), [], { cwd: root, env, execArgv: [...tsxArgs, ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number.parseInt(r.stdout ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 100;
}
const ticksPerSecond = clockTicks();

/** Resident set size of a process in bytes, from VmRSS in /proc/<pid>/status. */
export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15). */
export function readCpu(pid: number): CpuTime {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields from after its closing ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const toMs = (ticks: string): number => (Number(ticks) * 1000) / ticksPerSecond;
  return { userMs: toMs(rest[11]), systemMs: toMs(rest[12]) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false; // not listening yet: the caller polls again
  }
}

async function waitHealthy(child: ChildProcess, url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited during start with code ${child.exitCode}`);
    if (await healthy(url)) return;
    await sleep(100);
  }
  throw new Error(`server ${url}/healthz not ready within ${ms} ms`);
}

function standaloneEnv(ports: number[], o: StandaloneOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serverEnv,
    HERALD_CONFIG: '',
    HERALD_ROOM_HOST: '127.0.0.1',
    HERALD_ROOM_PORT: String(ports[0]),
    HERALD_ROOM_CAPACITY: String(o.capacity),
    HERALD_CENTER_HOST: '127.0.0.1',
    HERALD_CENTER_PORT: String(ports[1]),
    HERALD_DISPATCHER_PORT: String(ports[2]),
    HERALD_LOG_LEVEL: 'warn',
    HERALD_STANDALONE_DRIVER: 'memory',
    HERALD_STANDALONE_DEMO_APP: 'true',
    ...o.env,
  };
  if (o.redisUrl && o.mysqlUrl) {
    env.HERALD_STANDALONE_DRIVER = 'redis';
    env.HERALD_STANDALONE_REDIS_URL = o.redisUrl;
    env.HERALD_STANDALONE_MYSQL_URL = o.mysqlUrl;
    // A private key prefix, so a run never meets another run's (or a test's) keys.
    env.HERALD_STANDALONE_PREFIX = `loadtest-${process.pid}-${Date.now()}:`;
  }
  return env;
}

function echoStderr(child: ChildProcess, tag: string): () => number {
  let lines = 0;
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines++;
      if (lines <= echoLimit) process.stderr.write(`[${tag}] ${line.length > echoWidth ? `${line.slice(0, echoWidth)}...` : line}\n`);
      else if (lines === echoLimit + 1) process.stderr.write(`[${tag}] (further lines counted, not shown)\n`);
    }
  });
  return () => lines;
}

function stopper(child: ChildProcess): (killAfterMs?: number) => Promise<number> {
  return async (killAfterMs = 15_000) => {
    const t0 = Date.now();
    if (child.exitCode !== null || child.signalCode !== null) return 0;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
    return Date.now() - t0;
  };
}

/** Starts the standalone gateway (dist/ or, under tsx, the .ts sources) on free ports; waits for the center's /healthz. */
export async function startStandalone(o: StandaloneOptions, readyMs = 60_000): Promise<Target> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const main = join(root, 'services', 'standalone', `main${ext}`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const prof = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...tsxArgs, ...(o.nodeFlags ?? []), ...prof, main], { cwd: root, env: standaloneEnv(ports, o), stdio: ['ignore', 'ignore', 'pipe'] });
  if (!child.pid) throw new Error(`could not start ${main}`);
  const stderrLines = echoStderr(child, 'server');
  const stop = stopper(child);
  const apiUrl = `http://127.0.0.1:${ports[1]}`;
  try {
    await waitHealthy(child, apiUrl, readyMs);
  } catch (err) {
    await stop(2000);
    throw err;
  }
  return { kind: 'herald', pid: child.pid, roomUrl: `ws://127.0.0.1:${ports[0]}/ws`, apiUrl, stderrLines, stop };
}

/** Starts the bare uWebSockets.js baseline (bare-uws.ts) and waits until it listens. */
export async function startBareUws(nodeFlags: readonly string[] = [], readyMs = 15_000): Promise<Target> {
  const child = forkScript('bare-uws', [...nodeFlags], { ...process.env, ...serverEnv });
  const stop = stopper(child);
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`bare-uws did not listen within ${readyMs} ms`)), readyMs);
      child.once('exit', (code) => reject(new Error(`bare-uws exited with code ${code}`)));
      child.on('message', (m: { type?: string; port?: number; native?: boolean }) => {
        if (m.type !== 'listening' || typeof m.port !== 'number') return;
        if (!m.native) process.stderr.write('[bare-uws] warning: uWebSockets.js runs its pure-JS fallback: baseline figures mean little\n');
        resolve(m.port);
      });
    });
    return { kind: 'bare', pid: child.pid, roomUrl: `ws://127.0.0.1:${port}/`, apiUrl: `http://127.0.0.1:${port}`, stderrLines: () => 0, stop };
  } catch (err) {
    await stop(2000);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The room's own /metrics base URL: it serves them on the port of its sockets. */
export function roomMetricsUrl(roomUrl: string): string {
  return roomUrl.replace(/^ws(s?):/, 'http$1:').replace(/\/ws$/, '');
}

/** A server the user started: nothing to stop. */
export function givenTarget(roomUrl: string, apiUrl: string, pid?: number): Target {
  // The room's metrics, not the center's: in a cluster they are different processes.
  return { kind: 'herald', roomUrl, apiUrl, metricsUrl: roomMetricsUrl(roomUrl), pid, stderrLines: () => 0, stop: async () => 0 };
}
