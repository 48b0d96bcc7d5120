/**
 * One load-test run: starts (or names) the target, forks the client workers, samples every
 * second, runs the scenario under an overall deadline, always cleans up, and writes the report.
 */
import { randomBytes } from 'node:crypto';
import { Fleet } from './fleet';
import { percentileOf, totalOf } from './histogram';
import { reportMs } from './ipc';
import { Monitor } from './monitor';
import type { LoadOptions } from './options';
import { PushDriver } from './push-driver';
import { writeReport, type RunResult } from './report';
import { givenTarget, startBareUws, startStandalone, type Target } from './target';

/** What a scenario gets to work with. */
export interface RunContext {
  o: LoadOptions;
  target: Target;
  fleet: Fleet;
  monitor: Monitor;
  /** Device ids of this run start with this (fresh per run). */
  devicePrefix: string;
  signal: AbortSignal;
  log(line: string): void;
  /** The pusher process, started on first use. */
  pusher(): PushDriver;
  /** Sleeps ms, less when the deadline comes first or the run is aborted. */
  sleep(ms: number): Promise<void>;
  remainingMs(): number;
  /** Connects every device (or `share` of them, as in Fleet.connectAll) at o.connectRate; answers the ramp's figures. */
  ramp(share?: readonly [number, number]): Promise<RampFigures>;
}

/** Figures of a ramp (connect + auth). */
export interface RampFigures {
  devices: number;
  connected: number;
  failed: number;
  rampSeconds: number;
  connectsPerSecond: number;
  connectP50Ms: number | null;
  connectP99Ms: number | null;
}

export type Scenario = (ctx: RunContext) => Promise<Record<string, unknown>>;

/** Runs a scenario; `given` is a target the caller started and stops itself (the bench). */
export interface RunSetup {
  scenario: Scenario;
  given?: Target;
  out?: (line: string) => void;
  signal?: AbortSignal;
}

async function openTarget(o: LoadOptions): Promise<Target> {
  if (o.roomUrl && o.centerUrl) return givenTarget(o.roomUrl, o.centerUrl, o.serverPid);
  if (o.baseline) return startBareUws();
  const cpuProfDir = o.cpuProf ? o.reportDir : undefined;
  return startStandalone({ capacity: o.devices + 1000, redisUrl: o.redisUrl, mysqlUrl: o.mysqlUrl, cpuProfDir });
}

/** The context, and how to stop its pusher if one was started. */
function makeContext(o: LoadOptions, target: Target, fleet: Fleet, monitor: Monitor, deadlineAt: number, signal: AbortSignal, log: (l: string) => void): { ctx: RunContext; closePusher(): Promise<void> } {
  let pusher: PushDriver | undefined;
  const ctx: RunContext = {
    o, target, fleet, monitor, signal, log,
    devicePrefix: `lt-${o.scenario}-${randomBytes(3).toString('hex')}-`,
    pusher() {
      if (pusher === undefined) {
        pusher = new PushDriver(() => fleet.second);
        pusher.start({ centerUrl: target.apiUrl, app: o.app, apiKey: o.apiKey, devicePrefix: ctx.devicePrefix, devices: o.devices, qos: o.qos, ttl: o.ttlSeconds, inflight: o.pushInflight });
      }
      return pusher;
    },
    remainingMs: () => Math.max(0, deadlineAt - Date.now()),
    sleep: (ms) => sleepUntil(Math.min(Date.now() + ms, deadlineAt), signal),
    ramp: (share) => ramp(ctx, share),
  };
  return { ctx, closePusher: async () => pusher?.close() };
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, at - Date.now()));
    signal.addEventListener('abort', done);
  });
}

async function ramp(ctx: RunContext, share: readonly [number, number] = [0, 1]): Promise<RampFigures> {
  const { fleet, monitor } = ctx;
  const asked = fleet.countIn(share);
  const had = fleet.totalConnected();
  const t0 = Date.now();
  const connected = (await fleet.connectAll(ctx.o.connectRate, ctx.o.inflight, Math.min(ctx.remainingMs(), 600_000), share)) - had;
  const rampMs = Date.now() - t0;
  // Wait for the workers' last reports (connect latencies) to come in.
  await ctx.sleep(reportMs + 100);
  monitor.flush();
  const lat = monitor.totals.connectLatency;
  return {
    devices: asked, connected, failed: asked - connected, rampSeconds: rampMs / 1000,
    connectsPerSecond: Math.round((connected * 1000) / Math.max(1, rampMs)),
    connectP50Ms: percentileOf(lat, 50), connectP99Ms: percentileOf(lat, 99),
  };
}

function withDeadline<T>(p: Promise<T>, deadlineAt: number, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the run reached its deadline (--deadline)')), Math.max(0, deadlineAt - Date.now()));
    signal.addEventListener('abort', () => reject(new Error('interrupted')));
  });
  return Promise.race([p, stop]).finally(() => clearTimeout(timer));
}

function totals(m: Monitor, fleet: Fleet): Record<string, unknown> {
  const t = m.totals;
  return {
    totalDeliveries: t.deliveries, totalAcks: t.acks, totalPushesAccepted: t.pushes, totalPushFails: t.pushFails, drops: t.drops,
    duplicates: fleet.duplicates, errors: t.errors, errorCount: totalOf(Object.values(t.errors)),
    latencyP50Ms: percentileOf(t.latency, 50), latencyP90Ms: percentileOf(t.latency, 90), latencyP99Ms: percentileOf(t.latency, 99), latencyMaxMs: percentileOf(t.latency, 100),
    pushHttpP50Ms: percentileOf(t.pushLatency, 50), pushHttpP99Ms: percentileOf(t.pushLatency, 99),
    peakRssBytes: m.samples.reduce((a, s) => Math.max(a, s.rssBytes ?? 0), 0) || null,
  };
}

/** Runs one scenario end to end and writes its report. Throws only when it could not run at all. */
export async function runLoad(o: LoadOptions, setup: RunSetup): Promise<{ result: RunResult; json: string; html: string }> {
  const out = setup.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const signal = setup.signal ?? new AbortController().signal;
  const deadlineAt = Date.now() + o.deadlineMs;
  const startedAt = new Date().toISOString();
  const target = setup.given ?? (await openTarget(o));
  const fleet = new Fleet(o.workers, o.devices);
  const monitor = new Monitor(fleet, target.pid, out);
  const { ctx, closePusher } = makeContext(o, target, fleet, monitor, deadlineAt, signal, out);
  let summary: Record<string, unknown> = {};
  out(`${o.scenario}: ${o.devices} devices over ${o.workers} worker(s) -> ${target.roomUrl} (${target.kind}, server pid ${target.pid ?? 'unknown'})`);
  try {
    await fleet.start(target.kind === 'bare' ? 'raw' : 'herald', target.roomUrl, o.app, o.secret, ctx.devicePrefix, true);
    monitor.start();
    summary = await withDeadline(setup.scenario(ctx), deadlineAt, signal);
  } catch (err) {
    summary.failure = err instanceof Error ? err.message : String(err);
    out(`${o.scenario}: ${summary.failure}`);
  } finally {
    monitor.stop();
    await Promise.all([fleet.close(), closePusher()]);
    monitor.flush();
    if (setup.given === undefined) await target.stop();
  }
  const driver = target.kind === 'bare' ? 'bare uWebSockets.js' : o.redisUrl ? 'redis + mysql' : o.roomUrl ? 'given' : 'memory';
  const result: RunResult = {
    scenario: o.scenario, startedAt,
    target: { kind: target.kind, roomUrl: target.roomUrl, apiUrl: target.apiUrl, serverPid: target.pid ?? null, driver },
    options: { ...o, apiKey: '(hidden)', secret: '(hidden)' },
    summary: { ...summary, ...totals(monitor, fleet), serverStderrLines: target.stderrLines() },
    timeline: monitor.samples,
  };
  return { result, ...writeReport(o.reportDir, result) };
}
