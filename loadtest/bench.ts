/**
 * `npm run bench`: a fixed suite sized for a 2-core machine. Starts what it needs (the bare
 * uWebSockets.js baseline, the standalone gateway on memory drivers, a private Redis and
 * MariaDB, a local cluster and the standalone gateway on them), runs the scenarios and prints
 * figure | target | measured | baseline. A benchmark, not a test: exit 0 whatever the figures, 1 only if nothing could run.
 *
 *   npm run bench [-- --quick] [-- --cpu-prof] [-- --only memory]
 *
 * --only memory runs just the room's memory figure: hold on the baseline, then on the gateway
 * (memory drivers), no broadcasts and no Redis/MySQL steps; e.g. after a build,
 *   node dist/loadtest/bench.js --only memory
 * Both servers start with the same environment (serverEnv in target.ts) and node flags; RSS is
 * read once settled, before the ramp and after the hold (scenarios/hold.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { roomNodeFlags } from '../shared/lifecycle/node-flags';
import { freshMysqlDatabase } from '../shared/testing/mysql-test-db';
import { startMariadb, startRedis, type TestServer } from '../shared/testing/test-services';
import { benchTable, type BenchFigures } from './bench-table';
import { parseOptions, repoRoot, type LoadOptions } from './options';
import { runLoad, type Scenario } from './run';
import { broadcastPhases } from './scenarios/broadcast';
import { churn } from './scenarios/churn';
import { hold } from './scenarios/hold';
import { storm } from './scenarios/storm';
import { unicast } from './scenarios/unicast';
import { startClusterRoom } from './cluster-target';
import { startBareUws, startStandalone, type Target } from './target';

/** Sizes of the suite; --quick shrinks them to try the bench itself in a minute. */
interface Sizes {
  roomDevices: number;
  broadcasts: number;
  stormDevices: number;
  unicastDevices: number;
  unicastSeconds: number;
  p99Seconds: number;
  /** Seconds of pushing at 5,000/s before the p99 figure's window (see scenarios/unicast.ts). */
  p99Warmup: number;
  churnSeconds: number;
}

const full: Sizes = { roomDevices: 15_000, broadcasts: 64, stormDevices: 10_000, unicastDevices: 5000, unicastSeconds: 30, p99Seconds: 10, p99Warmup: 3, churnSeconds: 60 };
const quick: Sizes = { roomDevices: 2000, broadcasts: 16, stormDevices: 2000, unicastDevices: 500, unicastSeconds: 5, p99Seconds: 3, p99Warmup: 1, churnSeconds: 5 };

/** hold (idle RSS per device) then both broadcast phases on the same connections. */
const roomFigures: Scenario = async (ctx) => {
  const held = await hold(ctx);
  const phases = await broadcastPhases(ctx, ctx.fleet.totalConnected());
  return { ...held, ...phases };
};

/**
 * The memory holds: 12 s of quiet before the ramp and after each half of it, 10 s held; each
 * reading also waits for the room's two full GCs after a connect storm (room.compactQuietMs, then
 * room.compactFollowMs; scenarios/hold.ts awaitCompaction), and for RSS to settle.
 */
const holdArgs = (s: Sizes): string[] => ['--devices', String(s.roomDevices), '--connect-rate', '3000', '--duration', '10', '--settle', '12'];

function opts(dir: string, name: string, args: string[]): LoadOptions {
  return parseOptions([...args, '--report', join(dir, name), '--deadline', '300']) as LoadOptions;
}

/** Runs one step; a step that throws is reported and the suite goes on. */
async function step(name: string, o: LoadOptions, scenario: Scenario, target: Target): Promise<Record<string, unknown> | undefined> {
  process.stdout.write(`\n=== ${name} ===\n`);
  try {
    const { result, html } = await runLoad(o, { scenario, given: target });
    process.stdout.write(`${name}: report ${html}\n`);
    if (result.summary.failure !== undefined) process.stdout.write(`${name}: FAILED: ${String(result.summary.failure)}\n`);
    return result.summary;
  } catch (err) {
    process.stdout.write(`${name}: could not run: ${(err as Error).message}\n`);
    return undefined;
  }
}

async function roomSteps(dir: string, s: Sizes, cpuProf: boolean, f: BenchFigures, memoryOnly: boolean): Promise<void> {
  const scenario = memoryOnly ? hold : roomFigures;
  const what = memoryOnly ? 'hold' : 'hold + broadcast';
  const args = [...holdArgs(s), '--broadcasts', String(s.broadcasts), '--burst', '16', '--qos', '0', '--ttl', '0'];
  // The room's figures with a room's node flags (deploy/room.env), the baseline with the same.
  const bare = await startBareUws(roomNodeFlags);
  try {
    f.bare = await step(`baseline: bare uWebSockets.js (${roomNodeFlags.join(' ')}), ${what}`, opts(dir, 'baseline', ['hold', ...args]), scenario, bare);
  } finally {
    await bare.stop();
  }
  const room = await startStandalone({ capacity: s.roomDevices + 1000, nodeFlags: roomNodeFlags, cpuProfDir: cpuProf ? join(dir, 'profile-memory') : undefined });
  try {
    f.room = await step(`room: standalone (memory drivers, ${roomNodeFlags.join(' ')}), ${what}`, opts(dir, 'room', ['hold', ...args]), scenario, room);
  } finally {
    await room.stop();
  }
  // The same hold under node's default flags, for comparison (informative).
  const plain = await startStandalone({ capacity: s.roomDevices + 1000 });
  try {
    f.roomDefaultFlags = await step('room: standalone (memory drivers, node default flags), hold', opts(dir, 'room-default-flags', ['hold', ...args]), hold, plain);
  } finally {
    await plain.stop();
  }
}

// 250 handshakes in flight per worker (two workers): under uWebSockets.js's listen backlog of
// 512, so the figure is the room's rate, not the kernel's 1 s SYN retransmit after an overflow.
const stormArgs = (s: Sizes): string[] => ['--devices', String(s.stormDevices), '--inflight', '250'];

/** One room process of a local cluster (register, saver... each in its own process, on Redis + MySQL): hold, then storm. */
async function clusterSteps(dir: string, s: Sizes, redisUrl: string, mysqlUrl: string, f: BenchFigures): Promise<void> {
  let c: Target;
  try {
    c = await startClusterRoom({ redisUrl, mysqlUrl, capacity: Math.max(s.roomDevices, s.stormDevices) + 1000 });
  } catch (err) {
    process.stdout.write(`cluster steps could not run: ${(err as Error).message}\n`);
    return;
  }
  try {
    f.roomCluster = await step(`room RSS: one room process of a cluster (${roomNodeFlags.join(' ')}), hold`, opts(dir, 'room-cluster', ['hold', ...holdArgs(s)]), hold, c);
    f.stormCluster = await step('connect storm (one room process of a cluster)', opts(dir, 'storm-cluster', ['storm', ...stormArgs(s)]), storm, c);
  } finally {
    await c.stop();
  }
}

async function redisSteps(dir: string, s: Sizes, cpuProf: boolean, f: BenchFigures): Promise<void> {
  const servers: TestServer[] = [];
  try {
    process.stdout.write('\nstarting a private redis-server and mariadbd...\n');
    servers.push(await startRedis(), await startMariadb());
    process.env.HERALD_TEST_MYSQL_URL = servers[1].url;
    const mysqlUrl = await freshMysqlDatabase('bench');
    await clusterSteps(dir, s, servers[0].url, await freshMysqlDatabase('bench_cluster'), f);
    const g = await startStandalone({ capacity: Math.max(s.stormDevices, s.unicastDevices) + 1000, redisUrl: servers[0].url, mysqlUrl, cpuProfDir: cpuProf ? join(dir, 'profile-redis') : undefined });
    try {
      const n = String(s.unicastDevices);
      f.storm = await step('connect storm (standalone, redis register)', opts(dir, 'storm', ['storm', ...stormArgs(s)]), storm, g);
      f.unicast = await step('unicast 10,000/s (redis + mysql)', opts(dir, 'unicast-10k', ['unicast', '--devices', n, '--rate', '10000', '--duration', String(s.unicastSeconds), '--push-inflight', '256']), unicast, g);
      f.p99 = await step('unicast 5,000/s p99 (redis + mysql)', opts(dir, 'unicast-5k', ['unicast', '--devices', n, '--rate', '5000', '--duration', String(s.p99Seconds), '--warmup', String(s.p99Warmup), '--push-inflight', '256']), unicast, g);
      f.churn = await step('churn 1%/s with unicast (redis + mysql)', opts(dir, 'churn', ['churn', '--devices', n, '--rate', '1000', '--duration', String(s.churnSeconds), '--churn', '0.01']), churn, g);
    } finally {
      await g.stop();
    }
  } catch (err) {
    process.stdout.write(`redis + mysql steps could not run: ${(err as Error).message}\n`);
  } finally {
    await Promise.all(servers.map((x) => x.stop()));
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { quick: { type: 'boolean' }, 'cpu-prof': { type: 'boolean' }, only: { type: 'string' } } });
  if (values.only !== undefined && values.only !== 'memory') throw new Error(`--only: the one part that runs alone is 'memory' (got '${values.only}')`);
  const memoryOnly = values.only === 'memory';
  const sizes = values.quick ? quick : full;
  const dir = join(repoRoot, 'loadtest', 'reports', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const t0 = Date.now();
  const f: BenchFigures = {};
  await roomSteps(dir, sizes, values['cpu-prof'] === true, f, memoryOnly);
  if (!memoryOnly) await redisSteps(dir, sizes, values['cpu-prof'] === true, f);
  const table = benchTable(f, sizes.roomDevices, memoryOnly);
  process.stdout.write(`\n${table}\nbench took ${Math.round((Date.now() - t0) / 1000)} s; reports in ${dir}\n`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.json'), JSON.stringify({ sizes, figures: f }, null, 2) + '\n');
  writeFileSync(join(dir, 'bench.txt'), table + '\n');
  return Object.values(f).some((x) => x !== undefined) ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
