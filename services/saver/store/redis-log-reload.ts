import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from '../../../shared/log/log';
import type { DurableInbox } from './durable-inbox';
import { encodeMeta, type SaverKeys } from './redis-saver-keys';
import { reloadLockMs } from './redis-saver-reload';

const pageSize = 1000;

async function exec(pipe: ChainableCommander, keys: SaverKeys): Promise<void> {
  pipe.pexpire(keys.reload, reloadLockMs);
  const results = (await pipe.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed) throw new Error(`saver: reloading Redis logs failed: ${(failed[0] as Error).message}`);
}

/** Sets an expiry that only ever grows (first one, or a later one). */
function expireAtLeast(pipe: ChainableCommander, key: string, at: number): void {
  pipe.call('PEXPIREAT', key, at, 'NX');
  pipe.call('PEXPIREAT', key, at, 'GT');
}

async function reloadHeads(redis: Redis, keys: SaverKeys, durable: DurableInbox): Promise<number> {
  let after: [string, string] = ['', ''];
  let n = 0;
  for (;;) {
    const rows = await durable.scanLogHeads(after, pageSize);
    if (rows.length === 0) return n;
    const pipe = redis.pipeline();
    for (const h of rows) pipe.hset(keys.logHead(h.app, h.log), { s: h.seq, e: h.maxExpires });
    await exec(pipe, keys);
    n += rows.length;
    const last = rows[rows.length - 1];
    after = [last.app, last.log];
  }
}

async function reloadEntries(redis: Redis, keys: SaverKeys, durable: DurableInbox): Promise<number> {
  let after: [string, string, number] = ['', '', 0];
  let n = 0;
  for (;;) {
    const rows = await durable.scanLogs(after, Date.now(), pageSize);
    if (rows.length === 0) return n;
    const pipe = redis.pipeline();
    for (const r of rows) {
      const m = r.message;
      const msg = keys.msg(m.app, m.id);
      const payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
      pipe.hset(msg, { m: encodeMeta(m), p: payload, q: m.qos, e: m.expires, l: r.log, s: r.seq, t: 0, d: r.delivered, k: r.acked, x: 0 });
      pipe.pexpireat(msg, r.keepUntil);
      const log = keys.log(m.app, r.log);
      pipe.zadd(log, r.seq, m.id);
      expireAtLeast(pipe, log, m.expires);
      pipe.zadd(keys.logExpiry, m.expires, `${keys.logTail(m.app, r.log)}\n${m.id}`);
    }
    await exec(pipe, keys);
    n += rows.length;
    const last = rows[rows.length - 1];
    after = [last.message.app, last.log, last.seq];
  }
}

async function reloadWatermarks(redis: Redis, keys: SaverKeys, durable: DurableInbox): Promise<number> {
  let after: [string, string, string] = ['', '', ''];
  let n = 0;
  for (;;) {
    const rows = await durable.scanWatermarks(after, Date.now(), pageSize);
    if (rows.length === 0) return n;
    const pipe = redis.pipeline();
    for (const w of rows) {
      const key = keys.watermarks(w.app, w.device);
      pipe.hset(key, w.log, w.seq);
      expireAtLeast(pipe, key, w.keepUntil);
    }
    await exec(pipe, keys);
    n += rows.length;
    const last = rows[rows.length - 1];
    after = [last.app, last.device, last.log];
  }
}

/**
 * Rebuilds the broadcast/topic logs in Redis from MySQL after Redis lost its data: log heads
 * (so seqs continue where they were), unexpired entries with their status counters, and the
 * watermarks still needed. Runs under the reload lock, before the new epoch is set.
 */
export async function reloadLogsFromMysql(redis: Redis, keys: SaverKeys, durable: DurableInbox, log: Logger): Promise<void> {
  const started = Date.now();
  const heads = await reloadHeads(redis, keys, durable);
  const entries = await reloadEntries(redis, keys, durable);
  const watermarks = await reloadWatermarks(redis, keys, durable);
  log.info('saver: reloaded the Redis logs from MySQL', { heads, entries, watermarks, ms: Date.now() - started });
}
