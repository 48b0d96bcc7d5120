/**
 * Lua scripts of the Redis saver store. Every script first checks the epoch key: a missing
 * or different epoch means Redis lost (or was reloaded with) other data, and the script
 * answers the error HERALD_EPOCH so the store reloads from MySQL and retries.
 *
 * Message hash fields: m (meta JSON), p (payload), q (qos), e (expires ms), t (targets),
 * d (delivered), k (acked), x (dead-lettered), a:<device> (attempts of that device),
 * st ('scheduled' or 'cancelled' until the push fires), l and s (log and seq of a log message).
 * Inbox: a sorted set per device, member = message id, score = created.
 */
export const epochCheck = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('HERALD_EPOCH') end
`;

/**
 * Stores one or more messages (the stores of one turn go in one call). KEYS: epoch, then per
 * message: msg, inbox... ARGV: epoch, then per message 10 values: id, created, expires,
 * keepUntil, meta, payload, qos, inboxed, count, number of inbox keys. Adds each message to its
 * inboxes; targets += new inbox entries (or count when not inboxed). Returns per message [new
 * targets, 1 if it was a scheduled/cancelled status until now else 0], flattened.
 */
export const storeScript = `${epochCheck}
local out, k, a = {}, 2, 2
while a <= #ARGV do
  local msg, id, created, expires = KEYS[k], ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local n = tonumber(ARGV[a + 9])
  local added = 0
  if ARGV[a + 7] == '1' then
    for i = k + 1, k + n do
      added = added + redis.call('ZADD', KEYS[i], created, id)
      redis.call('PEXPIREAT', KEYS[i], expires, 'NX')
      redis.call('PEXPIREAT', KEYS[i], expires, 'GT')
    end
  else
    added = tonumber(ARGV[a + 8])
  end
  redis.call('HSET', msg, 'm', ARGV[a + 4], 'p', ARGV[a + 5], 'q', ARGV[a + 6], 'e', expires)
  redis.call('HINCRBY', msg, 't', added)
  redis.call('PEXPIREAT', msg, ARGV[a + 3])
  out[#out + 1] = added
  out[#out + 1] = redis.call('HDEL', msg, 'st')
  k, a = k + 1 + n, a + 10
end
return out`;

/**
 * KEYS: epoch, inbox. ARGV: epoch, msg key prefix, now, limit.
 * Returns [id, meta, payload, ...] oldest first; drops members whose message is gone.
 */
export const pendingScript = `${epochCheck}
local inbox, prefix, now, limit = KEYS[2], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out, gone, n, start = {}, {}, 0, 0
while n < limit do
  local ids = redis.call('ZRANGE', inbox, start, start + limit - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', prefix .. id, 'm', 'p', 'e')
    if not f[1] then
      gone[#gone + 1] = id
    elseif tonumber(f[3]) > now and n < limit then
      out[#out + 1] = id
      out[#out + 1] = f[1]
      out[#out + 1] = f[2]
      n = n + 1
    end
  end
  start = start + limit
end
for _, id in ipairs(gone) do redis.call('ZREM', inbox, id) end
return out`;

/**
 * KEYS: epoch, then (inbox, msg) per delivery. ARGV: epoch, now, maxAttempts, then (id, device).
 * Returns (code, n) per delivery: 0 refused; 1 send, n = attempt number; 2 dead-lettered by
 * this attempt, n = deliveries made; 3 send, online-only message (nothing durable to update);
 * 4 send, a log message (no inbox entry; delivered += 1).
 */
export const attemptScript = `${epochCheck}
local now, max = tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local inbox, msg = KEYS[2 * i], KEYS[2 * i + 1]
  local id, dev = ARGV[2 + 2 * i], ARGV[3 + 2 * i]
  local f = redis.call('HMGET', msg, 'q', 'e', 't', 'd', 'st', 'l')
  local code, n = 0, 0
  if not f[1] or f[5] then
    code = 0
  elseif f[6] then
    if tonumber(f[2]) > now then
      redis.call('HINCRBY', msg, 'd', 1)
      code = 4
    end
  elseif f[1] == '0' or f[2] == '0' then
    if tonumber(f[4] or '0') < tonumber(f[3] or '0') then redis.call('HINCRBY', msg, 'd', 1) end
    code = 3
  elseif tonumber(f[2]) <= now then
    redis.call('ZREM', inbox, id)
  elseif redis.call('ZSCORE', inbox, id) then
    n = redis.call('HINCRBY', msg, 'a:' .. dev, 1)
    if n == 1 then redis.call('HINCRBY', msg, 'd', 1) end
    if n > max then
      redis.call('ZREM', inbox, id)
      redis.call('HINCRBY', msg, 'x', 1)
      code, n = 2, n - 1
    else
      code = 1
    end
  end
  out[2 * i - 1] = code
  out[2 * i] = n
end
return out`;

/** KEYS: epoch, then (inbox, msg) per ack. ARGV: epoch, then id per ack. Returns 1/0 per ack. */
export const ackScript = `${epochCheck}
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local inbox, msg = KEYS[2 * i], KEYS[2 * i + 1]
  local removed = redis.call('ZREM', inbox, ARGV[1 + i])
  if removed == 1 then redis.call('HINCRBY', msg, 'k', 1) end
  out[i] = removed
end
return out`;

/** KEYS: epoch, msg. Returns [meta, targets, delivered, acked, dead, st, l] or an empty array. */
export const statusScript = `${epochCheck}
local f = redis.call('HMGET', KEYS[2], 'm', 't', 'd', 'k', 'x', 'st', 'l')
if not f[1] then return {} end
return f`;
