import { closeRedis, openRedis } from '../../../shared/redis/redis-connection';
import type { Session, SessionRef, SessionStore } from '../../../shared/contracts/register';
import { createLogger, type Logger } from '../../../shared/log/log';
import { once, withTimeout } from '../../../shared/lifecycle/lifecycle';
import { newEpoch } from './epoch';
import { createRedisTagIndex } from './redis-tag-index';
import { DROP_REF_LUA, REGISTER_LUA, TOUCH_LUA, UNREGISTER_LUA } from './redis-session-scripts';
import {
  DEFAULT_SESSION_TTL_SECONDS,
  DEFAULT_USER_TTL_SECONDS,
  checkId,
  checkIds,
  checkRefs,
  checkSessions,
  ttlMs,
} from './validate';

export interface RedisSessionStoreOptions {
  redisUrl: string;
  /** Prepended to every key. Default 'herald:'. */
  prefix?: string;
  /** Default 180. */
  sessionTtlSeconds?: number;
  /** Default 30 days. */
  userTtlSeconds?: number;
  log?: Logger;
}

/** A session store that can also tell whether its backend answers. */
export interface RedisSessionStore extends SessionStore {
  /** Resolves once Redis answers a PING; rejects after timeoutMs. */
  ready(timeoutMs?: number): Promise<void>;
}

/** The Lua-defined commands, as ioredis adds them to a pipeline. */
interface ScriptPipeline {
  heraldRegister(...args: (string | number)[]): unknown;
  heraldUnregister(...args: (string | number)[]): unknown;
  heraldTouch(...args: (string | number)[]): unknown;
  heraldDropRef(...args: (string | number)[]): unknown;
}

/** listRoom reads sessions in pipelines of this many. */
const LIST_CHUNK = 2000;

const appPart = (app: string): string => `${app.length}:${app}:`;

function parseRef(ref: string): { app: string; device: string } | undefined {
  const colon = ref.indexOf(':');
  const n = Number(ref.slice(0, colon));
  if (colon < 1 || !Number.isInteger(n) || ref[colon + 1 + n] !== ':') return undefined;
  return { app: ref.slice(colon + 1, colon + 1 + n), device: ref.slice(colon + 2 + n) };
}

function toSession(app: string, device: string, h: Record<string, string>): Session | undefined {
  if (!h.conn || !h.room) return undefined;
  const s: Session = { app, device, roomId: h.room, connId: h.conn, since: Number(h.since) || 0 };
  if (h.user) s.user = h.user;
  if (h.platform) s.platform = h.platform;
  if (h.network) s.network = h.network;
  return s;
}

/** The session a register script answers it replaced ([room, conn, since, user, platform, network]), if any. */
function replacedSession(now: Session, reply: unknown): Session | undefined {
  if (!Array.isArray(reply) || reply.length < 6) return undefined;
  const [room, conn, since, user, platform, network] = reply.map(String);
  const s: Session = { app: now.app, device: now.device, roomId: room, connId: conn, since: Number(since) || 0 };
  if (user) s.user = user;
  if (platform) s.platform = platform;
  if (network) s.network = network;
  return s;
}

/** Runs a pipeline and throws its first command error; answers the results in order. */
async function run(pipe: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? [];
  const out: unknown[] = new Array(results.length);
  for (let i = 0; i < results.length; i++) {
    const [err, value] = results[i];
    if (err) throw err;
    out[i] = value;
  }
  return out;
}

/** Sessions in Redis (cluster mode). Every batch call is one pipelined round trip. */
export function createRedisSessionStore(opts: RedisSessionStoreOptions): RedisSessionStore {
  const p = opts.prefix ?? 'herald:';
  const sessionTtl = ttlMs(opts.sessionTtlSeconds, DEFAULT_SESSION_TTL_SECONDS, 'sessionTtlSeconds');
  const userTtl = ttlMs(opts.userTtlSeconds, DEFAULT_USER_TTL_SECONDS, 'userTtlSeconds');
  const log = opts.log ?? createLogger({ component: 'redis-session-store' });
  // Single commands of one turn (subscriptions, epoch reads) share one write.
  const redis = openRedis(opts.redisUrl, log, { autoPipelining: true });
  redis.defineCommand('heraldRegister', { numberOfKeys: 2, lua: REGISTER_LUA });
  redis.defineCommand('heraldUnregister', { numberOfKeys: 1, lua: UNREGISTER_LUA });
  redis.defineCommand('heraldTouch', { numberOfKeys: 1, lua: TOUCH_LUA });
  redis.defineCommand('heraldDropRef', { numberOfKeys: 1, lua: DROP_REF_LUA });
  let closed = false;
  const tags = createRedisTagIndex({
    redis,
    prefix: p,
    assertOpen: () => {
      if (closed) throw new Error('session store is closed');
    },
  });

  const sessKey = (app: string, device: string): string => `${p}s:${appPart(app)}${device}`;
  const roomKey = (roomId: string): string => `${p}r:${roomId}`;
  const epochKey = `${p}register:epoch`;
  const pipeline = () => {
    if (closed) throw new Error('session store is closed');
    const pipe = redis.pipeline();
    return { pipe, scripts: pipe as unknown as ScriptPipeline };
  };

  async function forRefs(refs: SessionRef[], add: (s: ScriptPipeline, r: SessionRef) => void): Promise<void> {
    if (refs.length === 0) return;
    const { pipe, scripts } = pipeline();
    for (const r of refs) add(scripts, r);
    await run(pipe);
  }

  async function readSessions(roomId: string, members: Record<string, string>, refs: string[]): Promise<Session[]> {
    const { pipe } = pipeline();
    for (const ref of refs) pipe.hgetall(`${p}s:${ref}`);
    const hashes = (await run(pipe)) as Record<string, string>[];
    const out: Session[] = [];
    const stale: string[] = [];
    for (let i = 0; i < refs.length; i++) {
      const key = parseRef(refs[i]);
      const s = key && toSession(key.app, key.device, hashes[i]);
      if (s && s.roomId === roomId && s.connId === members[refs[i]]) out.push(s);
      else stale.push(refs[i]);
    }
    if (stale.length > 0) {
      const { pipe: drop, scripts } = pipeline();
      for (const ref of stale) scripts.heraldDropRef(roomKey(roomId), ref, members[ref]);
      await run(drop);
    }
    return out;
  }

  return {
    async register(sessions) {
      checkSessions(sessions);
      if (sessions.length === 0) return [];
      const { pipe, scripts } = pipeline();
      for (const s of sessions) {
        scripts.heraldRegister(
          sessKey(s.app, s.device), roomKey(s.roomId),
          p, appPart(s.app), s.device, s.connId, s.roomId, s.since,
          s.user ?? '', s.platform ?? '', s.network ?? '', sessionTtl, userTtl,
        );
      }
      const results = await run(pipe);
      const replaced: Session[] = [];
      for (let i = 0; i < results.length; i++) {
        const old = replacedSession(sessions[i], results[i]);
        if (old) replaced.push(old);
      }
      return replaced;
    },
    async unregister(refs) {
      checkRefs('unregister', refs);
      await forRefs(refs, (s, r) => s.heraldUnregister(sessKey(r.app, r.device), r.connId, appPart(r.app) + r.device, p));
    },
    async touch(refs) {
      checkRefs('touch', refs);
      await forRefs(refs, (s, r) => s.heraldTouch(sessKey(r.app, r.device), r.connId, sessionTtl, p));
    },
    async lookupDevices(app, devices) {
      checkId('lookupDevices', 'app', app);
      checkIds('lookupDevices', 'devices', devices);
      if (devices.length === 0) return [];
      const unique = [...new Set(devices)];
      const { pipe } = pipeline();
      for (const d of unique) pipe.hgetall(sessKey(app, d));
      const hashes = (await run(pipe)) as Record<string, string>[];
      const out: Session[] = [];
      for (let i = 0; i < unique.length; i++) {
        const s = toSession(app, unique[i], hashes[i]);
        if (s) out.push(s);
      }
      return out;
    },
    async userDevices(app, users) {
      checkId('userDevices', 'app', app);
      checkIds('userDevices', 'users', users);
      if (users.length === 0) return [];
      const unique = [...new Set(users)];
      const { pipe } = pipeline();
      for (const u of unique) pipe.smembers(`${p}u:${appPart(app)}${u}`);
      const sets = (await run(pipe)) as string[][];
      const out: { user: string; device: string }[] = [];
      for (let i = 0; i < unique.length; i++) for (const device of sets[i]) out.push({ user: unique[i], device });
      return out;
    },
    async listRoom(roomId) {
      checkId('listRoom', 'roomId', roomId);
      if (closed) throw new Error('session store is closed');
      const members = await redis.hgetall(roomKey(roomId));
      const refs = Object.keys(members);
      const out: Session[] = [];
      for (let i = 0; i < refs.length; i += LIST_CHUNK) {
        out.push(...(await readSessions(roomId, members, refs.slice(i, i + LIST_CHUNK))));
      }
      return out;
    },
    async epoch() {
      if (closed) throw new Error('session store is closed');
      // One round trip: the first caller after the key vanished (or ever) makes the new epoch.
      const [, got] = await run(redis.multi().set(epochKey, newEpoch(), 'NX').get(epochKey));
      if (typeof got !== 'string' || got === '') throw new Error('session store: epoch key holds no value');
      return got;
    },
    ...tags,
    async ready(timeoutMs = 5000) {
      await withTimeout('redis session store ping', timeoutMs, () => redis.ping());
    },
    close: once(async () => {
      closed = true;
      await closeRedis(redis, log);
    }),
  };
}
