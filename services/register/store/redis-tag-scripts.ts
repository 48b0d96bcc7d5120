/**
 * Lua scripts of the Redis tag index: each keeps a device's own set and the per-name sets of
 * devices in step, atomically. Per-name keys are built from ARGV inside the script (single
 * Redis, as the session scripts).
 *
 * Layout (P = prefix, A = "<app length>:<app>:"), no TTLs: tags and subscriptions stay until changed.
 *   P tg:<A><tag>       set of devices with the tag
 *   P dt:<A><device>    set of the device's tags
 *   P tp:<A><topic>     set of devices subscribed to the topic
 *   P ds:<A><device>    set of the device's topics
 */

/** KEYS: device tags. ARGV: tag key prefix (P tg:A), device, tags... Replaces the device's tags. */
export const SET_TAGS_LUA = `
local keep = {}
for i = 3, #ARGV do keep[ARGV[i]] = true end
for _, t in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not keep[t] then redis.call('SREM', ARGV[1] .. t, ARGV[2]) end
end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV do redis.call('SADD', ARGV[1] .. ARGV[i], ARGV[2]) end
if #ARGV > 2 then redis.call('SADD', KEYS[1], unpack(ARGV, 3)) end
return #ARGV - 2
`;

/**
 * KEYS: device topics. ARGV: topic key prefix (P tp:A), device, max, topics...
 * Adds the subscriptions and answers the device's total, or minus the total it would have
 * reached (changing nothing) when that exceeds max.
 */
export const SUBSCRIBE_LUA = `
local n = redis.call('SCARD', KEYS[1])
for i = 4, #ARGV do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then n = n + 1 end
end
if n > tonumber(ARGV[3]) then return -n end
for i = 4, #ARGV do redis.call('SADD', ARGV[1] .. ARGV[i], ARGV[2]) end
redis.call('SADD', KEYS[1], unpack(ARGV, 4))
return n
`;

/** KEYS: device topics. ARGV: topic key prefix (P tp:A), device, topics... */
export const UNSUBSCRIBE_LUA = `
for i = 3, #ARGV do
  redis.call('SREM', KEYS[1], ARGV[i])
  redis.call('SREM', ARGV[1] .. ARGV[i], ARGV[2])
end
return 1
`;
