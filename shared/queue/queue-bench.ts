/**
 * Queue throughput: publishes N messages in batches to a topic with no channel yet, then drains
 * them on one channel (the first channel gets the backlog), finishing each message.
 *   node dist/shared/queue/queue-bench.js [--n 100000] [--batch 100] [--size 200] [--inflight 500] [--redis URL]
 * Always runs the memory backend; with --redis also the Redis one (keys under a fresh prefix,
 * deleted afterwards).
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '../log/log';
import { createMemoryQueue } from './memory-queue';
import type { Queue } from './queue';
import { createRedisQueue, deleteQueueKeys } from './redis-queue';

interface BenchOptions {
  n: number;
  batch: number;
  size: number;
  inflight: number;
  redis?: string;
}

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { n: 100_000, batch: 100, size: 200, inflight: 500 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--redis') o.redis = value;
    else if (flag === '--n' || flag === '--batch' || flag === '--size' || flag === '--inflight') {
      const v = Number(value);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${flag}: want a positive integer, got ${value}`);
      o[flag.slice(2) as 'n' | 'batch' | 'size' | 'inflight'] = v;
    } else throw new Error(`unknown option ${flag}`);
  }
  return o;
}

async function publishAll(q: Queue, topic: string, o: BenchOptions): Promise<number> {
  const body = new Uint8Array(randomBytes(o.size));
  const batch = Array.from({ length: o.batch }, () => body);
  const start = performance.now();
  const window: Promise<string[]>[] = [];
  for (let sent = 0; sent < o.n; sent += o.batch) {
    window.push(q.publish(topic, sent + o.batch <= o.n ? batch : batch.slice(0, o.n - sent)));
    if (window.length >= 8) await window.shift();
  }
  await Promise.all(window);
  return performance.now() - start;
}

async function consumeAll(q: Queue, topic: string, o: BenchOptions): Promise<number> {
  const start = performance.now();
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const consumer = q.consume(topic, 'bench', async (ms) => {
      try {
        await Promise.all(ms.map((m) => m.finish()));
      } catch (err) {
        reject(err);
        return;
      }
      done += ms.length;
      if (done >= o.n) consumer.stop().then(resolve, reject);
    }, { maxInFlight: o.inflight, timeoutMs: 60_000 });
  });
  return performance.now() - start;
}

async function run(name: string, q: Queue, o: BenchOptions): Promise<void> {
  const topic = `bench-${randomBytes(4).toString('hex')}`;
  try {
    const pubMs = await publishAll(q, topic, o);
    const conMs = await consumeAll(q, topic, o);
    const rate = (ms: number): string => Math.round((o.n * 1000) / ms).toLocaleString('en-US');
    process.stdout.write(`${name}: publish ${rate(pubMs)} msg/s, consume ${rate(conMs)} msg/s ` +
      `(n=${o.n} batch=${o.batch} size=${o.size}B inflight=${o.inflight})\n`);
  } finally {
    await q.close();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = createLogger({ component: 'queue-bench' }, 'warn');
  await run('memory', createMemoryQueue({ maxLen: o.n, log }), o);
  if (!o.redis) return;
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  await run('redis', createRedisQueue({ url: o.redis, prefix, maxLen: o.n, log }), o);
  await deleteQueueKeys(o.redis, prefix, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`queue-bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
