/**
 * The gateway under measurement: the standalone server run as a child process (so its memory
 * and CPU are read alone, from /proc), plus the /proc readers. Linux only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../shared/testing/test-services';

/** Storage of the measured server: memory drivers, or Redis + MySQL at the given URLs. */
export interface ServerStorage {
  redisUrl?: string;
  mysqlUrl?: string;
}

/** A running standalone gateway started by {@link startMeasuredServer}. */
export interface MeasuredServer {
  pid: number;
  roomUrl: string;
  centerUrl: string;
  /** Warning/error lines the server wrote to stderr (only the first few are echoed). */
  stderrLines(): number;
  /** SIGTERM by PID, wait for exit (SIGKILL after killAfterMs); answers ms taken. Safe twice. */
  stop(killAfterMs?: number): Promise<number>;
}

/** CPU time a process used so far, in milliseconds (user + system). */
export interface CpuTime {
  userMs: number;
  systemMs: number;
}

const echoLimit = 20;

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

function serverEnv(ports: number[], capacity: number, storage: ServerStorage): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HERALD_CONFIG: '',
    HERALD_ROOM_HOST: '127.0.0.1',
    HERALD_ROOM_PORT: String(ports[0]),
    HERALD_ROOM_CAPACITY: String(capacity),
    HERALD_CENTER_PORT: String(ports[1]),
    HERALD_DISPATCHER_PORT: String(ports[2]),
    HERALD_LOG_LEVEL: 'warn',
    HERALD_STANDALONE_DRIVER: 'memory',
    HERALD_STANDALONE_DEMO_APP: 'true',
  };
  if (storage.redisUrl && storage.mysqlUrl) {
    env.HERALD_STANDALONE_DRIVER = 'redis';
    env.HERALD_STANDALONE_REDIS_URL = storage.redisUrl;
    env.HERALD_STANDALONE_MYSQL_URL = storage.mysqlUrl;
    // A private key prefix, so a run never meets another run's (or a test's) keys.
    env.HERALD_STANDALONE_PREFIX = `measure-${process.pid}-${Date.now()}:`;
  }
  return env;
}

function echoStderr(child: ChildProcess): () => number {
  let lines = 0;
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines++;
      if (lines <= echoLimit) process.stderr.write(`[server] ${line}\n`);
      else if (lines === echoLimit + 1) process.stderr.write('[server] (further lines counted, not shown)\n');
    }
  });
  return () => lines;
}

function stopper(child: ChildProcess): (killAfterMs?: number) => Promise<number> {
  return async (killAfterMs = 15_000) => {
    const t0 = Date.now();
    if (child.exitCode !== null || child.signalCode !== null) return 0;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
    return Date.now() - t0;
  };
}

/** Starts `node dist/services/standalone/main.js` on free ports and waits for the center's /healthz. */
export async function startMeasuredServer(capacity: number, storage: ServerStorage, readyMs = 30_000): Promise<MeasuredServer> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const main = join(__dirname, '..', 'services', 'standalone', 'main.js');
  const child = spawn(process.execPath, [main], { env: serverEnv(ports, capacity, storage), stdio: ['ignore', 'ignore', 'pipe'] });
  if (!child.pid) throw new Error(`could not start ${main}`);
  const stderrLines = echoStderr(child);
  const stop = stopper(child);
  const centerUrl = `http://127.0.0.1:${ports[1]}`;
  try {
    await waitHealthy(child, centerUrl, readyMs);
  } catch (err) {
    await stop(2000);
    throw err;
  }
  return { pid: child.pid, roomUrl: `ws://127.0.0.1:${ports[0]}/ws`, centerUrl, stderrLines, stop };
}
