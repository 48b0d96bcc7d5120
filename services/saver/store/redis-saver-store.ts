import { randomBytes } from 'node:crypto';
import { createCoalescer } from '../../../shared/batching/coalescer';
import { closeRedis, openRedis } from '../../../shared/redis/redis-connection';
import type { DeviceKey } from '../../../shared/contracts/register';
import type { DeadLetter, Delivery, Message, MessageStatus } from '../../../shared/contracts/saver';
import { withTimeout } from '../../../shared/lifecycle/lifecycle';
import type { Logger } from '../../../shared/log/log';
import type { PushKindName } from '../../../shared/protocol/codes';
import type { SaverConfig } from '../config';
import type { AttemptRow, DurableInbox } from './durable-inbox';
import { createMysqlInbox } from './mysql-saver-store';
import { checkRedisUrl, decodeMessage, encodeMeta, saverKeys } from './redis-saver-keys';
import { createRedisLogs, type ScriptFn } from './redis-log-store';
import { reloadLogsFromMysql } from './redis-log-reload';
import { ackLogScript, appendLogScript, cancelScript, countLogScript, logCleanupScript, logSinceScript, scheduleScript } from './redis-log-scripts';
import { reloadFromMysql, reloadLockMs } from './redis-saver-reload';
import { ackScript, attemptScript, pendingScript, statusScript, storeScript } from './redis-saver-scripts';
import { chunks } from './saver-sql';
import { keepUntil, onlineOnly, stateOf, type SaverStore, type StatusExtras } from './saver-store';

type Arg = string | number | Buffer;
const scripts = {
  store: storeScript, pending: pendingScript, attempt: attemptScript, ack: ackScript, status: statusScript,
  appendLog: appendLogScript, logSince: logSinceScript, ackLog: ackLogScript, countLog: countLogScript,
  schedule: scheduleScript, cancel: cancelScript, logCleanup: logCleanupScript,
};

const perScript = 500;
/** Messages (or parts of a multicast) stored by one script call at most. */
const storesPerScript = 64;

/** One message's share of a store script call: its hash and up to perScript inboxes. */
interface StorePart {
  message: Message;
  msgKey: string;
  inboxes: string[];
  keep: number;
  meta: string;
  payload: Buffer;
  inboxed: boolean;
  count: number;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Redis hot inbox + MySQL durable copy (the cluster saver). */
export function createRedisSaverStore(config: SaverConfig, log: Logger, durable?: DurableInbox): SaverStore {
  const shownUrl = checkRedisUrl(config.redisUrl, 'saver.redisUrl');
  const mysql = durable ?? createMysqlInbox(config, log);
  const keys = saverKeys(config.prefix);
  const redis = openRedis(config.redisUrl, log.child({ url: shownUrl }), { lazyConnect: true, timeoutMs: config.opTimeoutMs, autoPipelining: true });
  const lua: Record<string, ScriptFn> = {};
  for (const [name, script] of Object.entries(scripts)) {
    redis.defineCommand(`herald_saver_${name}`, { lua: script });
    const r = redis as unknown as Record<string, ScriptFn>;
    lua[name] = (n, ...a) => r[`herald_saver_${name}`](n, ...a);
    lua[`${name}Buffer`] = (n, ...a) => r[`herald_saver_${name}Buffer`](n, ...a);
  }
  let epoch = '';
  let recovering: Promise<void> | undefined;
  let closed = false;
  const logs = createRedisLogs({ keys, durable: mysql, log, statusRetentionMs: config.statusRetentionMs, lua, epoch: () => epoch, run: (what, call) => run(what, call) });

  async function takeOverOrWait(): Promise<void> {
    const deadline = Date.now() + reloadLockMs;
    for (;;) {
      const current = await redis.get(keys.epoch);
      if (current !== null) {
        epoch = current;
        return;
      }
      const token = randomBytes(8).toString('hex');
      if ((await redis.set(keys.reload, token, 'PX', reloadLockMs, 'NX')) === 'OK') {
        log.warn('saver: Redis has no saver epoch (data lost or first start): reloading from MySQL');
        try {
          await reloadFromMysql(redis, keys, mysql, log);
          await reloadLogsFromMysql(redis, keys, mysql, log);
          await redis.set(keys.epoch, randomBytes(8).toString('hex'), 'NX');
        } finally {
          if ((await redis.get(keys.reload)) === token) await redis.del(keys.reload);
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error('saver: Redis is being reloaded from MySQL by another process; try again later');
      await sleep(100);
    }
  }

  /** One recovery at a time per process; concurrent callers share it. */
  const recover = (): Promise<void> => (recovering ??= takeOverOrWait().finally(() => (recovering = undefined)));

  /** Runs a script call; after an epoch error, recovers and retries once. */
  async function run<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        // ioredis bounds each command (commandTimeout; maxRetriesPerRequest while disconnected).
        return await call();
      } catch (err) {
        const msg = (err as Error).message ?? '';
        if (msg.includes('HERALD_EPOCH') && attempt < 3) {
          await recover();
          continue;
        }
        if (msg.startsWith('saver:')) throw err;
        throw new Error(`saver: Redis ${what} failed: ${msg}`, { cause: err });
      }
    }
  }

  /** The Redis side of store(): the parts stored in one turn go in one script call. */
  const storeParts = createCoalescer<StorePart, number[]>(
    async (items) => {
      const flat = (await run('store', () => {
        const ks: string[] = [keys.epoch];
        const args: Arg[] = [epoch];
        for (const it of items) {
          const m = it.message;
          ks.push(it.msgKey, ...it.inboxes);
          args.push(m.id, m.created, m.expires, it.keep, it.meta, it.payload, m.qos, it.inboxed ? '1' : '0', it.count, it.inboxes.length);
        }
        return lua.store(ks.length, ...ks, ...args);
      })) as number[];
      return items.map((_it, i) => [flat[2 * i], flat[2 * i + 1]]);
    },
    storesPerScript,
  );

  async function store(message: Message, targets: DeviceKey[]): Promise<void> {
    const devices = [...new Set(targets.map((t) => t.device))];
    const inboxed = !onlineOnly(message) && message.expires > Date.now();
    const keep = keepUntil(message, config.statusRetentionMs);
    if (inboxed) await mysql.insert(message, devices, keep);
    const meta = encodeMeta(message);
    const payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
    const msgKey = keys.msg(message.app, message.id);
    const parts = inboxed ? chunks(devices, perScript) : [devices];
    const answers = await storeParts(
      parts.map((part) => ({ message, msgKey, inboxes: inboxed ? part.map((d) => keys.inbox(message.app, d)) : [], keep, meta, payload, inboxed, count: part.length })),
    );
    // It was a scheduled push: the durable status is now the normal one too.
    if (answers.some((a) => a[1] === 1)) await mysql.clearState(message.app, message.id);
  }

  async function pending(app: string, device: string, limit = config.pendingLimit): Promise<Message[]> {
    const flat = (await run('pending', () =>
      lua.pendingBuffer(2, keys.epoch, keys.inbox(app, device), epoch, keys.msgPrefix(app), Date.now(), limit),
    )) as Buffer[];
    const out: Message[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) out.push(decodeMessage(app, flat[i].toString(), flat[i + 1].toString(), flat[i + 2]));
    return out;
  }

  async function attemptPart(part: Delivery[], now: number, writes: AttemptRow[], dead: DeadLetter[], logged: Delivery[]): Promise<boolean[]> {
    const ks: string[] = [];
    const args: Arg[] = [now, config.maxAttempts];
    for (const d of part) {
      ks.push(keys.inbox(d.app, d.device), keys.msg(d.app, d.id));
      args.push(d.id, d.device);
    }
    const res = (await run('attempt', () => lua.attempt(1 + ks.length, keys.epoch, ...ks, epoch, ...args))) as number[];
    return part.map((d, i) => {
      const code = res[2 * i];
      const n = res[2 * i + 1];
      if (code === 1) writes.push({ ...d, first: n === 1 });
      if (code === 2) dead.push({ ...d, attempts: n, at: now });
      if (code === 4) logged.push(d);
      return code === 1 || code === 3 || code === 4;
    });
  }

  async function attempt(deliveries: Delivery[]): Promise<boolean[]> {
    const now = Date.now();
    const writes: AttemptRow[] = [];
    const dead: DeadLetter[] = [];
    const logged: Delivery[] = [];
    const answers = (await Promise.all(chunks(deliveries, perScript).map((p) => attemptPart(p, now, writes, dead, logged)))).flat();
    if (logged.length > 0) {
      const counts = logged.map((d) => ({ app: d.app, id: d.id, delivered: 1 }));
      mysql.countDelivered(counts).catch((err: unknown) => log.warn('saver: recording log deliveries in MySQL failed', { err, rows: counts.length }));
    }
    // Attempt counts are written behind (the Redis answer is authoritative); dead letters are awaited.
    if (writes.length > 0) {
      mysql.attempts(writes).catch((err: unknown) => log.warn('saver: recording attempts in MySQL failed', { err, rows: writes.length }));
    }
    if (dead.length > 0) await mysql.deadLetter(dead);
    return answers;
  }

  async function ack(acks: Delivery[]): Promise<number> {
    const removed: number[] = [];
    for (const part of chunks(acks, perScript)) {
      const ks = part.flatMap((a) => [keys.inbox(a.app, a.device), keys.msg(a.app, a.id)]);
      removed.push(...((await run('ack', () => lua.ack(1 + ks.length, keys.epoch, ...ks, epoch, ...part.map((a) => a.id)))) as number[]));
    }
    // Every ack deletes its durable row (idempotent); only those Redis still held count as acked.
    await mysql.remove(acks.map((a, i) => ({ ...a, counted: removed[i] === 1 })));
    return removed.reduce((s, r) => s + r, 0);
  }

  async function status(app: string, id: string): Promise<MessageStatus | undefined> {
    const f = (await run('status', () => lua.status(2, keys.epoch, keys.msg(app, id), epoch))) as (string | null)[];
    if (f.length === 0 || f[0] === null) return mysql.status(app, id);
    const meta = JSON.parse(f[0]) as { kind: PushKindName; created: number; expires: number; qos: 0 | 1 };
    const counts = { targets: Number(f[1] ?? 0), delivered: Number(f[2] ?? 0), acked: Number(f[3] ?? 0), deadLettered: Number(f[4] ?? 0) };
    const extras: StatusExtras = { state: f[5] === 'scheduled' || f[5] === 'cancelled' ? f[5] : undefined, logged: f[6] !== null && f[6] !== undefined };
    const state = stateOf(meta, counts, Date.now(), extras);
    return { id, app, kind: meta.kind, qos: meta.qos, created: meta.created, expires: meta.expires, state, ...counts };
  }

  async function start(): Promise<void> {
    await mysql.start();
    try {
      await withTimeout('connect', config.opTimeoutMs, () => redis.connect());
    } catch (err) {
      redis.disconnect();
      throw new Error(`saver.redisUrl: cannot connect to ${shownUrl}: ${(err as Error).message}`, { cause: err });
    }
    await recover();
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    try {
      await mysql.close();
    } finally {
      await closeRedis(redis, log);
    }
  }

  return {
    start,
    close,
    store,
    pending,
    attempt,
    ack,
    status,
    deadLetters: (app, limit = 100) => mysql.deadLetters(app, limit),
    cleanup: async (now, batch) => (await mysql.cleanup(now, batch, config.statusRetentionMs)) + (await logs.cleanupLogs(now, batch)),
    appendLog: logs.appendLog,
    logSince: (app, device, names, limit = config.pendingLimit) => logs.logSince(app, device, names, limit),
    ackLog: logs.ackLog,
    countLogDelivered: logs.countLogDelivered,
    markScheduled: logs.markScheduled,
    markCancelled: logs.markCancelled,
  };
}
