/**
 * Takes a mutex in one round trip and issues its fencing token.
 *
 * A held lock is one hash: t = the holder's token, f = its fencing token, o = the owner label.
 * @internal
 */
export const ACQUIRE_SCRIPT = `
-- KEYS[1]  the lock hash
-- KEYS[2]  the fencing counter shared by every lock in this key's slot
-- ARGV[1]  token of this acquisition (128 random bits)
-- ARGV[2]  ttl in milliseconds
-- ARGV[3]  owner label, for operators
-- Returns {1, fencing token} when taken, {0, pttl of the holder} when someone else holds it.
local holder = redis.call('HGET', KEYS[1], 't')
if holder == ARGV[1] then
  -- This very acquisition already ran: ioredis resends a command whose reply was lost to a
  -- reconnect. Report success with the fencing token issued the first time.
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tonumber(redis.call('HGET', KEYS[1], 'f'))}
end
if holder then
  return {0, redis.call('PTTL', KEYS[1])}
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  -- Never overwrite a key that is not one of our locks (a data key, another primitive).
  return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' exists and is not a lock held by this library')
end
-- The fencing token is one more than the last token of this slot, and never below the server
-- clock in microseconds: it keeps increasing even if the counter is lost (a restart without
-- persistence, a failover to a replica that missed the last write), while the counter makes it
-- independent of the clock as long as the counter survives. One counter per slot, not per lock,
-- so short-lived lock names leave no keys behind.
local now = redis.call('TIME')
local fence = (tonumber(redis.call('GET', KEYS[2])) or 0) + 1
local clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
if fence < clock then fence = clock end
-- %.0f: Lua would print a number this large in exponent notation.
local fenceText = string.format('%.0f', fence)
redis.call('SET', KEYS[2], fenceText)
redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', fenceText, 'o', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, fence}
`;
