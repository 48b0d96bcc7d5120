import type { Redis } from 'ioredis';
import type { Logger } from '../../../shared/log/log';
import type { DurableInbox, InboxRow, StoredMessage } from './durable-inbox';
import { encodeMeta, type SaverKeys } from './redis-saver-keys';

const pageSize = 1000;
/** The reload lock's lifetime; renewed on every page, so a crashed reloader frees it soon. */
export const reloadLockMs = 30_000;

async function loadMessages(durable: DurableInbox, rows: InboxRow[]): Promise<StoredMessage[]> {
  const byApp = new Map<string, Set<string>>();
  for (const r of rows) {
    let ids = byApp.get(r.app);
    if (!ids) byApp.set(r.app, (ids = new Set()));
    ids.add(r.id);
  }
  const parts = await Promise.all([...byApp].map(([app, ids]) => durable.messages(app, [...ids])));
  return parts.flat();
}

/** Writes one page of inbox rows and their messages back into Redis (one pipeline). */
async function writePage(redis: Redis, keys: SaverKeys, rows: InboxRow[], messages: StoredMessage[]): Promise<number> {
  const pipe = redis.pipeline();
  const known = new Set<string>();
  for (const s of messages) {
    const m = s.message;
    const key = keys.msg(m.app, m.id);
    known.add(key);
    const payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
    pipe.hset(key, { m: encodeMeta(m), p: payload, q: m.qos, e: m.expires, t: s.targets, d: s.delivered, k: s.acked, x: s.deadLettered });
    pipe.pexpireat(key, s.keepUntil);
  }
  let n = 0;
  for (const r of rows) {
    const msg = keys.msg(r.app, r.id);
    if (!known.has(msg)) continue;
    const inbox = keys.inbox(r.app, r.device);
    pipe.zadd(inbox, r.created, r.id);
    pipe.call('PEXPIREAT', inbox, r.expires, 'NX');
    pipe.call('PEXPIREAT', inbox, r.expires, 'GT');
    if (r.attempts > 0) pipe.hset(msg, `a:${r.device}`, r.attempts);
    n++;
  }
  pipe.pexpire(keys.reload, reloadLockMs);
  const results = (await pipe.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed) throw new Error(`saver: reloading Redis failed: ${(failed[0] as Error).message}`);
  return n;
}

/**
 * Rebuilds the Redis inbox from MySQL after Redis lost its data: pages through unexpired
 * inbox rows by seq and restores each device's inbox, the messages and their counters.
 * Returns how many inbox entries were restored.
 */
export async function reloadFromMysql(redis: Redis, keys: SaverKeys, durable: DurableInbox, log: Logger): Promise<number> {
  const started = Date.now();
  let after = 0;
  let total = 0;
  for (;;) {
    const rows = await durable.scanInbox(after, Date.now(), pageSize);
    if (rows.length === 0) break;
    after = rows[rows.length - 1].seq;
    total += await writePage(redis, keys, rows, await loadMessages(durable, rows));
  }
  log.info('saver: reloaded the Redis inbox from MySQL', { entries: total, ms: Date.now() - started });
  return total;
}
