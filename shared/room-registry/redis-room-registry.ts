import { closeRedis, openRedis } from '../redis/redis-connection';
import { once } from '../lifecycle/lifecycle';
import { createLogger, type Logger } from '../log/log';
import type { RoomInfo, RoomRegistry } from './room-registry';
import { checkAnnounce, checkRoomId, copyRoom } from './validate';

export interface RedisRoomRegistryOptions {
  redisUrl: string;
  /** Prepended to every key. Default 'herald:'. */
  prefix?: string;
  log?: Logger;
}

/** KEYS: the set of ids. ARGV: room key prefix. Answers live rooms' JSON; forgets expired ids. */
const LIST_LUA = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then out[#out + 1] = v else redis.call('SREM', KEYS[1], id) end
end
return out
`;

interface ListCommand {
  heraldRoomList(setKey: string, roomPrefix: string): Promise<string[]>;
}

/** Throws the first error of a MULTI's results. */
function failed(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('room registry: transaction aborted');
  for (const [err] of results) if (err) throw err;
}

/**
 * Rooms in Redis (cluster): one key per room holding its JSON with a PX TTL, plus a set of ids
 * so list() needs no SCAN. list() runs as one Lua script, so an id is only forgotten when its
 * key is gone at that moment (a concurrent announce cannot be lost).
 */
export function createRedisRoomRegistry(opts: RedisRoomRegistryOptions): RoomRegistry {
  const prefix = opts.prefix ?? 'herald:';
  const setKey = `${prefix}rooms`;
  const roomPrefix = `${prefix}room:`;
  const log = opts.log ?? createLogger({ component: 'redis-room-registry' });
  const redis = openRedis(opts.redisUrl, log);
  redis.defineCommand('heraldRoomList', { numberOfKeys: 1, lua: LIST_LUA });
  const lister = redis as unknown as ListCommand;

  const parse = (json: string): RoomInfo | undefined => {
    try {
      const info = JSON.parse(json) as RoomInfo;
      checkAnnounce(info, 1);
      return copyRoom(info, Number(info.updatedAt) || 0);
    } catch (err) {
      log.warn('ignoring a malformed room entry', { err: (err as Error).message });
      return undefined;
    }
  };

  return {
    async announce(info, ttlMs) {
      checkAnnounce(info, ttlMs);
      const json = JSON.stringify(copyRoom(info, Date.now()));
      failed(await redis.multi().set(roomPrefix + info.id, json, 'PX', ttlMs).sadd(setKey, info.id).exec());
    },
    async withdraw(id) {
      checkRoomId(id);
      failed(await redis.multi().del(roomPrefix + id).srem(setKey, id).exec());
    },
    async list() {
      const out: RoomInfo[] = [];
      for (const json of await lister.heraldRoomList(setKey, roomPrefix)) {
        const info = parse(json);
        if (info) out.push(info);
      }
      return out;
    },
    close: once(async () => {
      await closeRedis(redis, log);
    }),
  };
}
