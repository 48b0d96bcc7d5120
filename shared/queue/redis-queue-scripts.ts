import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/** A Lua script run by EVALSHA, loaded with EVAL the first time a server has not seen it. */
export interface Script {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Runs a script; NOSCRIPT (a restarted or new server) falls back to EVAL once. */
export async function runScript(redis: Redis, s: Script, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(s.lua, keys.length, ...keys, ...args);
  }
}

/**
 * A deferred message is stored as `<meta JSON>\n<body>` in a hash by member (the JSON holds
 * strings: t = publish time, i = message id, a = attempts so far for a channel requeue).
 */
export function deferredValue(meta: { t: string; i: string; a?: string }, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(meta) + '\n'), body]);
}

/**
 * Moves due deferred messages into their stream, atomically so two pollers never double-publish.
 * KEYS: triples (zset, hash, stream). ARGV: now, maxLen, most per triple. Answers how many moved.
 */
export const moveDue = script(`
local moved = 0
for k = 1, #KEYS, 3 do
  local due = redis.call('ZRANGEBYSCORE', KEYS[k], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
  for _, m in ipairs(due) do
    local v = redis.call('HGET', KEYS[k + 1], m)
    redis.call('ZREM', KEYS[k], m)
    redis.call('HDEL', KEYS[k + 1], m)
    if v then
      local nl = string.find(v, '\\n', 1, true)
      local meta = cjson.decode(string.sub(v, 1, nl - 1))
      if meta.a then
        redis.call('XADD', KEYS[k + 2], 'MAXLEN', '~', ARGV[2], '*', 'b', string.sub(v, nl + 1), 't', meta.t, 'i', meta.i, 'a', meta.a)
      else
        redis.call('XADD', KEYS[k + 2], 'MAXLEN', '~', ARGV[2], '*', 'b', string.sub(v, nl + 1), 't', meta.t, 'i', meta.i)
      end
      moved = moved + 1
    end
  end
end
return moved`);

/** KEYS: zset, hash. ARGV: member, deliverAt, value. 0 when the member is already pending. */
export const addDeferred = script(`
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`);

/** KEYS: zset, hash. ARGV: member. 1 when it was pending (and now is not). */
export const cancelDeferred = script(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0`);

/**
 * Creates a channel's groups. KEYS: topic stream, channel retry stream, the topic's set of
 * ephemeral channels. ARGV: channel, '1' durable / '0' ephemeral, start id ('' the first time).
 * The first time, a durable channel starts at '0' when the topic has no group yet (it gets the
 * backlog), else at '$'. Again after the groups were lost (NOGROUP: Redis flushed or replaced),
 * the consumer passes the last id it read, so the channel gets everything published since, even
 * if a publish already made the stream anew. Answers the group's last delivered id.
 */
export const ensureGroup = script(`
local start = ARGV[3]
if start == '' then
  start = '$'
  if ARGV[2] == '1' then
    local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
    if (not ok) or #groups == 0 then start = '0' end
  end
end
local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], start, 'MKSTREAM')
if type(r) == 'table' and r.err and not string.find(r.err, 'BUSYGROUP', 1, true) then return r end
r = redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
if type(r) == 'table' and r.err and not string.find(r.err, 'BUSYGROUP', 1, true) then return r end
if ARGV[2] == '0' then redis.call('SADD', KEYS[3], ARGV[1]) end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  if name == ARGV[1] and last then return last end
end
return '0-0'`);

/** Destroys an ephemeral channel. KEYS: topic stream, retry stream, channel zset, channel hash, ephemeral set. ARGV: channel. */
export const destroyGroup = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.pcall('XGROUP', 'DESTROY', KEYS[1], ARGV[1]) end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[5], ARGV[1])
return 1`);
