/**
 * One Herald service as a child process (`node dist/services/<service>/main.js`, or the .ts
 * sources through tsx when this file runs under tsx): spawn, wait until ready, kill by PID,
 * restart. Used by the cluster launcher (scripts/cluster.ts) and the cluster test suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { extname, join } from 'node:path';

export const serviceNames = ['standalone', 'dispatcher', 'room', 'register', 'coordinator', 'saver', 'center'] as const;
export type ServiceName = (typeof serviceNames)[number];

/** .ts under tsx (tests run from the sources), .js from dist/. */
const ext = extname(__filename);
const tsxArgs = ext === '.ts' ? ['--import', 'tsx'] : [];
/** The repository root: this file is shared/testing/x.ts or dist/shared/testing/x.js. */
export const repoRoot = ext === '.ts' ? join(__dirname, '..', '..') : join(__dirname, '..', '..', '..');

/** The entry point of a service: dist/services/<s>/main.js, or services/<s>/main.ts under tsx. */
export function serviceMain(service: ServiceName): string {
  return join(__dirname, '..', '..', 'services', service, `main${ext}`);
}

/** How to tell that a started process is ready: GET <http>/healthz answers 200, or a TCP port accepts. */
export type ReadyProbe = { http: string } | { tcp: number };

export interface ProcessSpec {
  /** Unique label, e.g. 'room-1'; also the log file's name. */
  name: string;
  service: ServiceName;
  /** HERALD_* variables; merged over the parent's environment. */
  env: Record<string, string>;
  ready: ReadyProbe[];
  /** Log file the child's stdout and stderr are appended to. */
  logFile: string;
}

export interface ServiceProcess {
  readonly spec: ProcessSpec;
  /** The running child's PID, undefined when none runs. */
  pid(): number | undefined;
  alive(): boolean;
  /** Spawns the child and waits until every probe answers (or throws, the child killed). */
  start(readyMs?: number): Promise<void>;
  /** Sends the signal to the child's PID and waits for it to exit (kill('SIGKILL') is `kill -9`). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal without waiting (e.g. SIGSTOP / SIGCONT to freeze and thaw the process). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs. Safe when not running. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the current child exits (at once when none runs). */
  exited(): Promise<void>;
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort: when this process exits with children still running, kill them by PID. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) {
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch (err) {
          process.stderr.write(`could not kill ${child.pid}: ${(err as Error).message}\n`);
        }
      }
    }
  });
}

/** The last lines of a log file, for an error message (the file may be gone by the time anyone looks). */
export function logTail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return text ? `\n--- last lines of ${file} ---\n${text}` : '';
  } catch (err) {
    return `\n(no log: ${(err as Error).message})`;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function httpHealthy(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false; // not listening yet: the caller polls again
  }
}

/** Whether a probe answers now. */
export function probeOnce(p: ReadyProbe): Promise<boolean> {
  return 'http' in p ? httpHealthy(p.http) : tcpOpen(p.tcp);
}

function isRunning(child: ChildProcess | undefined): boolean {
  return !!child && child.exitCode === null && child.signalCode === null;
}

/** A service process; nothing runs until start(). */
export function createServiceProcess(spec: ProcessSpec): ServiceProcess {
  let child: ChildProcess | undefined;
  let exit: Promise<void> = Promise.resolve();

  const spawnChild = (): ChildProcess => {
    const main = serviceMain(spec.service);
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const fd = openSync(spec.logFile, 'a');
    try {
      const c = spawn(process.execPath, [...tsxArgs, main], {
        cwd: repoRoot,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', fd, fd],
      });
      installExitHook();
      children.add(c);
      exit = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.once('exit', () => children.delete(c));
      c.once('error', (err) => process.stderr.write(`${spec.name}: ${err.message}\n`));
      return c;
    } finally {
      closeSync(fd);
    }
  };

  const waitReady = async (c: ChildProcess, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!isRunning(c)) throw new Error(`${spec.name} exited during start (code ${c.exitCode}, signal ${c.signalCode})${logTail(spec.logFile)}`);
      const answers = await Promise.all(spec.ready.map(probeOnce));
      if (answers.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`${spec.name} not ready within ${ms} ms${logTail(spec.logFile)}`);
      await sleep(100);
    }
  };

  const signal = (sig: NodeJS.Signals): void => {
    if (!child || !isRunning(child) || !child.pid) return;
    try {
      process.kill(child.pid, sig);
    } catch (err) {
      // ESRCH: it exited between the check and the signal; the exit promise settles anyway.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };

  const kill = async (sig: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (!child || !isRunning(child)) return;
    signal(sig);
    // A frozen process handles no signal but SIGKILL: thaw it so SIGTERM can run its shutdown.
    if (sig !== 'SIGKILL') signal('SIGCONT');
    await exit;
  };

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (!isRunning(child)) return;
    const timer = setTimeout(() => void kill('SIGKILL'), graceMs);
    try {
      await kill('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    spec,
    pid: () => (child && isRunning(child) ? child.pid : undefined),
    alive: () => isRunning(child),
    async start(readyMs = 30_000) {
      if (child && isRunning(child)) throw new Error(`${spec.name} is already running (pid ${child.pid})`);
      const c = spawnChild();
      child = c;
      try {
        await waitReady(c, readyMs);
      } catch (err) {
        await kill('SIGKILL');
        throw err;
      }
    },
    kill,
    signal,
    stop,
    exited: () => exit,
  };
}
