import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type Redis from 'ioredis';
import type { Logger } from '../log/log';
import { closeRedis, openRedis } from '../redis/redis-connection';
import type { ChannelStats, Consumer, Queue, TopicStats } from './queue';
import { checkConsume, checkPublish, checkTopic, DEFAULT_MAX_LEN } from './queue-checks';
import { RedisConsumer, type ChannelCounters, type RedisQueueContext } from './redis-consumer';
import { channelKeys, topicKeys } from './redis-queue-keys';
import { addDeferred, cancelDeferred, deferredValue, destroyGroup, moveDue, runScript } from './redis-queue-scripts';

export interface RedisQueueOptions {
  url: string;
  /** Key prefix, e.g. 'herald:'. */
  prefix: string;
  /** Approximate MAXLEN of every topic stream (default 100000). */
  maxLen?: number;
  /** How often this process moves due deferred messages into their streams, ms (default 50). */
  pollMs?: number;
  log: Logger;
}

const MOVE_BATCH = 500;

/**
 * The queue on Redis streams (see redis-queue-keys.ts for the keys). A topic is a stream trimmed
 * to MAXLEN ~ maxLen; a channel is a consumer group on it plus the channel's own retry stream
 * (same group name) that requeues go to, so a requeue reaches that channel only. Finish = XACK
 * (no XDEL: other groups still need the entry). Timeouts: every consumer claims entries idle
 * past timeoutMs (XPENDING IDLE + XCLAIM), so a stopped consumer or a dead process loses nothing.
 * Deferred publishes and delayed requeues wait in sorted sets; every process with a consumer or
 * a deferred publish polls the sets it knows every pollMs and moves what is due with one Lua
 * script (atomic: two pollers never double-publish).
 * Each consumer has its own blocking connection (XREADGROUP BLOCK <= 1 s); the rest share one.
 * stats(): topics this process used; depth = group lag, inFlight = pending (both streams);
 * requeued/timedOut/finished are counted by this process only.
 * Data loss (FLUSHALL, a replaced Redis): consumers get NOGROUP, make their groups again from the
 * last id they read (MKSTREAM) and go on, with no restart; messages published after the loss are
 * delivered. What Redis held is gone: undelivered and in-flight entries, deferred publishes and
 * delayed requeues (the sorted sets). A replacement Redis whose clock is behind the old one may
 * number new entries below that id; the channel then skips them.
 */
export function createRedisQueue(opts: RedisQueueOptions): Queue {
  const { log, prefix } = opts;
  const maxLen = opts.maxLen ?? DEFAULT_MAX_LEN;
  // No autoPipelining: ioredis drops the command name of call()/callBuffer() it auto-pipelines.
  const redis = openRedis(opts.url, log);
  const blockings = new Set<Redis>();
  const counters = new Map<string, ChannelCounters>();
  const consumers = new Set<RedisConsumer>();
  const handles = new Set<Consumer>();
  const known = new Set<string>();
  /** Triples (zset, hash, stream) the poller moves due entries of, with how many users. */
  const polled = new Map<string, { keys: [string, string, string]; users: number }>();
  const namePrefix = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  let seq = 0;
  let closed = false;
  let polling = false;

  const ctx: RedisQueueContext = {
    redis,
    log,
    prefix,
    maxLen,
    openBlocking() {
      const r = openRedis(opts.url, log, { timeoutMs: 10_000 });
      blockings.add(r);
      r.once('end', () => blockings.delete(r));
      return r;
    },
    counters(topic, channel) {
      const key = `${topic}\n${channel}`;
      let c = counters.get(key);
      if (!c) counters.set(key, (c = { requeued: 0, timedOut: 0, finished: 0 }));
      return c;
    },
  };

  function poll(keys: [string, string, string], delta: number): void {
    const id = keys.join('\n');
    const p = polled.get(id) ?? { keys, users: 0 };
    p.users += delta;
    if (p.users > 0) polled.set(id, p);
    else polled.delete(id);
  }

  async function moveDueNow(): Promise<void> {
    if (polling || closed || polled.size === 0) return;
    polling = true;
    try {
      const keys = [...polled.values()].flatMap((p) => p.keys);
      await runScript(redis, moveDue, keys, [Date.now(), maxLen, MOVE_BATCH]);
    } catch (err) {
      log.warn('queue: moving due deferred messages failed', { err: (err as Error).message });
    } finally {
      polling = false;
    }
  }
  const poller = setInterval(() => void moveDueNow(), opts.pollMs ?? 50);
  poller.unref();

  function consume(topic: string, channel: string, handler: Parameters<Queue['consume']>[2], o: Parameters<Queue['consume']>[3]): Consumer {
    checkConsume(topic, channel, handler, o);
    if (closed) throw new Error('queue closed');
    known.add(topic);
    const tk = topicKeys(prefix, topic);
    const ck = channelKeys(prefix, topic, channel);
    const pollKeys: [string, string, string][] = [[tk.deferred, tk.deferredBodies, tk.stream], [ck.deferred, ck.deferredBodies, ck.retry]];
    for (const k of pollKeys) poll(k, 1);
    const c = new RedisConsumer(ctx, topic, channel, handler, o, `${namePrefix}-${++seq}`);
    consumers.add(c);
    let stopping: Promise<void> | undefined;
    const stop = async (): Promise<void> => {
      try {
        await c.stop();
      } finally {
        consumers.delete(c);
        for (const k of pollKeys) poll(k, -1);
      }
      const last = ![...consumers].some((x) => x.topic === topic && x.channel === channel);
      if (o.ephemeral && last) {
        await runScript(redis, destroyGroup, [tk.stream, ck.retry, ck.deferred, ck.deferredBodies, tk.ephemeral], [channel]);
      }
    };
    const handle: Consumer = {
      stop: () => (stopping ??= stop().finally(() => handles.delete(handle))),
    };
    handles.add(handle);
    return handle;
  }

  return {
    async publish(topic, bodies) {
      checkPublish(topic, bodies);
      if (closed) throw new Error('queue closed');
      known.add(topic);
      if (bodies.length === 0) return [];
      const key = topicKeys(prefix, topic).stream;
      const ts = String(Date.now());
      const pipe = redis.pipeline();
      for (const b of bodies) pipe.xadd(key, 'MAXLEN', '~', maxLen, '*', 'b', Buffer.from(b.buffer, b.byteOffset, b.byteLength), 't', ts);
      const res = (await pipe.exec()) ?? [];
      return res.map(([err, id]) => {
        if (err) throw err;
        return String(id);
      });
    },

    async publishDeferred(topic, body, deliverAt, id) {
      checkPublish(topic, [body]);
      if (!Number.isFinite(deliverAt)) throw new Error('queue: deliverAt must be a finite number of ms');
      if (id !== undefined && (typeof id !== 'string' || id === '')) throw new Error('queue: id must be a non-empty string');
      if (closed) throw new Error('queue closed');
      known.add(topic);
      const tk = topicKeys(prefix, topic);
      const msgId = id ?? `${namePrefix}-d${++seq}`;
      const value = deferredValue({ t: String(Date.now()), i: msgId }, body);
      const added = await runScript(redis, addDeferred, [tk.deferred, tk.deferredBodies], [msgId, Math.floor(deliverAt), value]);
      if (Number(added) !== 1) throw new Error(`queue: deferred id ${msgId} already pending on ${topic}`);
      // Keep moving this topic's deferred set at least until the message is due.
      const keys: [string, string, string] = [tk.deferred, tk.deferredBodies, tk.stream];
      poll(keys, 1);
      const release = setTimeout(() => poll(keys, -1), Math.max(0, deliverAt - Date.now()) + 5000);
      release.unref();
      return msgId;
    },

    async cancelDeferred(topic, id) {
      checkTopic(topic);
      if (typeof id !== 'string' || id === '') return false;
      const tk = topicKeys(prefix, topic);
      return Number(await runScript(redis, cancelDeferred, [tk.deferred, tk.deferredBodies], [id])) === 1;
    },

    consume,

    stats: () => topicStats([...known]),

    async close() {
      if (closed) return;
      clearInterval(poller);
      await Promise.allSettled([...handles].map((h) => h.stop()));
      closed = true;
      for (const b of blockings) b.disconnect();
      await closeRedis(redis, log);
    },
  };

  async function topicStats(topics: string[]): Promise<TopicStats[]> {
    return Promise.all(topics.map(async (topic) => {
      const tk = topicKeys(prefix, topic);
      const [len, deferred, groups, eph] = await Promise.all([
        redis.xlen(tk.stream),
        redis.zcard(tk.deferred),
        redis.xinfo('GROUPS', tk.stream).catch(() => []) as Promise<unknown[]>,
        redis.smembers(tk.ephemeral),
      ]);
      const channels = await Promise.all(groups.map((g) => channelStats(topic, toObject(g), eph)));
      return { topic, messages: len, deferred, channels };
    }));
  }

  async function channelStats(topic: string, g: Record<string, unknown>, eph: string[]): Promise<ChannelStats> {
    const channel = String(g.name);
    const ck = channelKeys(prefix, topic, channel);
    const [retryGroups, deferred] = await Promise.all([
      redis.xinfo('GROUPS', ck.retry).catch(() => []) as Promise<unknown[]>,
      redis.zcard(ck.deferred),
    ]);
    const rg = retryGroups.map(toObject).find((x) => String(x.name) === channel);
    const c = counters.get(`${topic}\n${channel}`);
    return {
      channel,
      depth: Number(g.lag ?? 0) + Number(rg?.lag ?? 0),
      inFlight: Number(g.pending ?? 0) + Number(rg?.pending ?? 0),
      deferred,
      requeued: c?.requeued ?? 0,
      timedOut: c?.timedOut ?? 0,
      finished: c?.finished ?? 0,
      consumers: Number(g.consumers ?? 0),
      ephemeral: eph.includes(channel),
    };
  }
}

/** XINFO's flat [name, value, ...] reply as an object. */
function toObject(flat: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/** Deletes every queue key under prefix (SCAN + DEL, never FLUSH): for benchmarks and tests. */
export async function deleteQueueKeys(url: string, prefix: string, log: Logger): Promise<void> {
  const r = openRedis(url, log);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}q:*`, 'COUNT', 1000);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await closeRedis(r, log);
  }
}
