/**
 * Lua scripts of the Redis saver's broadcast/topic logs and scheduled states (same epoch check
 * as redis-saver-scripts.ts). Keys: see redis-saver-keys.ts. A log message's hash is the
 * ordinary message hash with fields l (log) and s (seq) and targets 0.
 */
import { epochCheck } from './redis-saver-scripts';

/**
 * KEYS: epoch, head, log, msg, logExpiry. ARGV: epoch, id, expires, keepUntil, meta, payload,
 * log name, expiry member. Hands out the next seq atomically and stores the entry; clears a
 * scheduled state. Returns [seq, 1 if it was scheduled/cancelled else 0].
 */
export const appendLogScript = `${epochCheck}
local head, log, msg = KEYS[2], KEYS[3], KEYS[4]
local id, expires = ARGV[2], tonumber(ARGV[3])
local seq = redis.call('HINCRBY', head, 's', 1)
if expires > tonumber(redis.call('HGET', head, 'e') or '0') then redis.call('HSET', head, 'e', ARGV[3]) end
redis.call('ZADD', log, seq, id)
redis.call('PEXPIREAT', log, expires, 'NX')
redis.call('PEXPIREAT', log, expires, 'GT')
redis.call('ZADD', KEYS[5], expires, ARGV[8])
redis.call('HSET', msg, 'm', ARGV[5], 'p', ARGV[6], 'q', '1', 'e', ARGV[3], 'l', ARGV[7], 's', seq)
redis.call('HINCRBY', msg, 't', 0)
redis.call('PEXPIREAT', msg, ARGV[4])
return {seq, redis.call('HDEL', msg, 'st')}`;

/**
 * KEYS: epoch, watermarks, then one log key per log. ARGV: epoch, msg key prefix, now, limit,
 * then the log names. Returns [log index, seq, id, meta, payload, ...]: per log, entries above
 * the device's watermark, oldest first, at most limit; expired or vanished entries are removed.
 */
export const logSinceScript = `${epochCheck}
local prefix, now, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 3, #KEYS do
  local log = KEYS[i]
  local after = redis.call('HGET', KEYS[2], ARGV[i + 2]) or '0'
  local n = 0
  while n < limit do
    local page = redis.call('ZRANGEBYSCORE', log, '(' .. after, '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
    if #page == 0 then break end
    for j = 1, #page, 2 do
      local id, seq = page[j], page[j + 1]
      after = seq
      local f = redis.call('HMGET', prefix .. id, 'm', 'p', 'e')
      if not f[1] or tonumber(f[3]) <= now then
        redis.call('ZREM', log, id)
      elseif n < limit then
        out[#out + 1] = i - 2
        out[#out + 1] = seq
        out[#out + 1] = id
        out[#out + 1] = f[1]
        out[#out + 1] = f[2]
        n = n + 1
      end
    end
  end
end
return out`;

/**
 * KEYS: epoch, then (watermarks, log, head, msg) per ack. ARGV: epoch, then (log name, seq, id)
 * per ack. An ack moves the watermark only when the log holds id at seq and seq is above it.
 * Returns (code, keep) per ack: 0 ignored; 1 moved and counted; 2 moved (status gone);
 * keep = the log's latest expiry, after which the watermark is no longer needed.
 */
export const ackLogScript = `${epochCheck}
local out = {}
for i = 1, (#KEYS - 1) / 4 do
  local wm, log, head, msg = KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i], KEYS[4 * i + 1]
  local name, seq, id = ARGV[3 * i - 1], tonumber(ARGV[3 * i]), ARGV[3 * i + 1]
  local code, keep = 0, 0
  if tonumber(redis.call('ZSCORE', log, id) or '-1') == seq and seq > tonumber(redis.call('HGET', wm, name) or '0') then
    redis.call('HSET', wm, name, seq)
    keep = tonumber(redis.call('HGET', head, 'e') or '0')
    redis.call('PEXPIREAT', wm, keep, 'NX')
    redis.call('PEXPIREAT', wm, keep, 'GT')
    code = 2
    if redis.call('EXISTS', msg) == 1 then
      redis.call('HINCRBY', msg, 'k', 1)
      code = 1
    end
  end
  out[2 * i - 1] = code
  out[2 * i] = keep
end
return out`;

/** KEYS: epoch, msg per count. ARGV: epoch, delivered per count. Returns 1 (counted) / 0 (unknown) each. */
export const countLogScript = `${epochCheck}
local out = {}
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HINCRBY', KEYS[i], 'd', tonumber(ARGV[i]))
    out[i - 1] = 1
  else
    out[i - 1] = 0
  end
end
return out`;

/**
 * KEYS: epoch, msg. ARGV: epoch, meta, qos, expires, keepUntil. Records a 'scheduled' status
 * unless the push already fired. Returns 1 when recorded, 0 when it had fired.
 */
export const scheduleScript = `${epochCheck}
local msg = KEYS[2]
if redis.call('EXISTS', msg) == 1 and not redis.call('HGET', msg, 'st') then return 0 end
redis.call('DEL', msg)
redis.call('HSET', msg, 'm', ARGV[2], 'q', ARGV[3], 'e', ARGV[4], 't', 0, 'd', 0, 'k', 0, 'x', 0, 'st', 'scheduled')
redis.call('PEXPIREAT', msg, ARGV[5])
return 1`;

/** KEYS: epoch, msg. Returns 1 scheduled -> cancelled; 0 not scheduled; -1 unknown to Redis. */
export const cancelScript = `${epochCheck}
local st = redis.call('HGET', KEYS[2], 'st')
if st == 'scheduled' then
  redis.call('HSET', KEYS[2], 'st', 'cancelled')
  return 1
end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return -1`;

/**
 * KEYS: epoch, logExpiry. ARGV: epoch, log key prefix, now, batch. Removes at most batch
 * expired log entries (the message hashes expire by themselves). Returns how many.
 */
export const logCleanupScript = `${epochCheck}
local members = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, member in ipairs(members) do
  local cut = string.find(member, '\\n', 1, true)
  if cut then redis.call('ZREM', ARGV[2] .. string.sub(member, 1, cut - 1), string.sub(member, cut + 1)) end
  redis.call('ZREM', KEYS[2], member)
end
return #members`;
