/**
 * Takes a free key for an owner and issues its fencing token, in one step.
 * @internal
 */
export const STORE_ACQUIRE_SCRIPT = `
-- KEYS[1] the lock: a hash, o = owner, f = fencing token, r = the request that took it
-- KEYS[2] the fencing counter of the lock's slot (one counter per slot, never per lock: lock
--         names may be endless, and a key per name would stay behind forever)
-- ARGV[1] owner, ARGV[2] ttl in ms (as text: up to weeks, past what a Lua integer reads
--         exactly), ARGV[3] an id of this request
-- Returns the fencing token when taken, 0 when a live lock holds the key.
local holder = redis.call('HMGET', KEYS[1], 'o', 'r')
if holder[1] then
  -- ioredis sends a command again when a reconnect lost its reply: the same request finds its
  -- own lock, and gets the token it was given, not a refusal for a lock it holds.
  if holder[1] == ARGV[1] and holder[2] == ARGV[3] then
    return tonumber(redis.call('HGET', KEYS[1], 'f'))
  end
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' exists and is not a lock of this store')
end
-- The token is one more than the slot's last one, and never below the server clock in
-- microseconds: it keeps growing if the counter is lost (a restart without persistence, a
-- failover to a replica that missed the write), and whatever the clock does while it is kept.
local now = redis.call('TIME')
local fence = tonumber(now[1]) * 1000000 + tonumber(now[2])
local last = tonumber(redis.call('GET', KEYS[2]))
if last and last >= fence then fence = last + 1 end
-- %.0f: Lua prints a number this large in exponent notation.
local text = string.format('%.0f', fence)
redis.call('SET', KEYS[2], text)
redis.call('HSET', KEYS[1], 'o', ARGV[1], 'f', text, 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return fence
`;
