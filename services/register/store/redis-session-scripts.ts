/**
 * Lua scripts of the Redis session store. Each acts on one session atomically; a batch is
 * a pipeline of them (one round trip). Keys other than KEYS[] (an old room's index, an old
 * user's set) are built from the prefix inside the script, so this needs a single Redis,
 * not Redis Cluster.
 *
 * Layout (P = prefix, A = "<app length>:<app>:", ref = A .. device):
 *   P s:<ref>        hash room, conn, since[, user, platform, network]; PX session TTL
 *   P u:<A><user>    set of devices; PX user TTL, refreshed on register
 *   P r:<roomId>     hash ref -> connId; PX session TTL, refreshed on register and touch
 *   P register:epoch the store's epoch (random id, no TTL): gone after a FLUSHALL, made anew by epoch()
 */

/**
 * KEYS: session, room. ARGV: prefix, A, device, conn, room, since, user, platform, network,
 * sessionTtlMs, userTtlMs. Answers the replaced live session of another connection as
 * [room, conn, since, user, platform, network] ('' for a field not set), else 0.
 */
export const REGISTER_LUA = `
local p, app, device, conn, room = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local user, ttl = ARGV[7], ARGV[10]
local ref = app .. device
local old = redis.call('HMGET', KEYS[1], 'room', 'conn', 'user', 'since', 'platform', 'network')
if old[1] and old[1] ~= room then
  local oldRoom = p .. 'r:' .. old[1]
  if redis.call('HGET', oldRoom, ref) == old[2] then redis.call('HDEL', oldRoom, ref) end
end
if old[3] and user ~= '' and old[3] ~= user then
  redis.call('SREM', p .. 'u:' .. app .. old[3], device)
end
redis.call('DEL', KEYS[1])
local fields = {'room', room, 'conn', conn, 'since', ARGV[6]}
if user ~= '' then fields[#fields + 1] = 'user'; fields[#fields + 1] = user end
if ARGV[8] ~= '' then fields[#fields + 1] = 'platform'; fields[#fields + 1] = ARGV[8] end
if ARGV[9] ~= '' then fields[#fields + 1] = 'network'; fields[#fields + 1] = ARGV[9] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', KEYS[2], ref, conn)
redis.call('PEXPIRE', KEYS[2], ttl)
if user ~= '' then
  local userKey = p .. 'u:' .. app .. user
  redis.call('SADD', userKey, device)
  redis.call('PEXPIRE', userKey, ARGV[11])
end
if old[1] and old[2] and old[2] ~= conn then
  return {old[1], old[2], old[4] or '0', old[3] or '', old[5] or '', old[6] or ''}
end
return 0
`;

/** KEYS: session. ARGV: conn, ref, prefix. Deletes the session if conn matches. */
export const UNREGISTER_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'conn', 'room')
if cur[1] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local roomKey = ARGV[3] .. 'r:' .. cur[2]
if redis.call('HGET', roomKey, ARGV[2]) == ARGV[1] then redis.call('HDEL', roomKey, ARGV[2]) end
return 1
`;

/** KEYS: session. ARGV: conn, ttlMs, prefix. Extends the session (and its room index) if conn matches. */
export const TOUCH_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'conn', 'room')
if cur[1] ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', ARGV[3] .. 'r:' .. cur[2], ARGV[2])
return 1
`;

/** KEYS: room. ARGV: ref, conn. Drops a stale room index entry unless it changed meanwhile. */
export const DROP_REF_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;
