import { EXTEND_EACH_LUA } from '../lua/extend-each.lua.js';
import { RELEASE_MARK_LUA } from '../lua/release-mark.lua.js';
import { SERVER_TIME_LUA } from '../lua/server-time.lua.js';

/**
 * Lua shared by the semaphore scripts: how the semaphore is laid out in its one key.
 * @internal
 */
const SEMAPHORE_LUA = `${SERVER_TIME_LUA}
-- A semaphore is one sorted set, so every script touches one key (one Cluster slot, nothing to
-- keep in step):
--   member "<token>:<i>"  permit i (1..weight) of the holder with that token;
--                         score = server ms at which it expires
--   member "#limit"       score = -permits: the limit the current holders agreed on (negative,
--                         so it never falls in the range of expiries)
-- The permits in use are the members with a score above now; a holder that dies stops renewing
-- and its permits fall out of that range at their expiry, without anyone having to notice.
-- Expiries come from the server's clock (TIME), so clients with skewed clocks still agree.

-- Moves every permit of a holder to expire at 'expiresAt'; returns how many it has.
local function renewPermits(key, token, expiresAt)
  local i = 1
  while redis.call('ZSCORE', key, token .. ':' .. i) do
    redis.call('ZADD', key, 'XX', expiresAt, token .. ':' .. i)
    i = i + 1
  end
  return i - 1
end
`;

/**
 * Takes `weight` permits of a semaphore in one round trip, if that many are free.
 * @internal
 */
export const SEMAPHORE_ACQUIRE_SCRIPT = `${SEMAPHORE_LUA}
-- KEYS[1]  the semaphore
-- ARGV[1]  token of this acquisition
-- ARGV[2]  weight: how many permits it takes
-- ARGV[3]  the limit (permits) the caller uses
-- ARGV[4]  ttl of the permits in milliseconds
-- Returns {1, 0, permits still free} when taken,
--         {0, milliseconds until the earliest permit expires (or -1), 1} when too few are free,
--         {-1, the limit stored in Redis} when the caller's limit differs from it.
local key, token = KEYS[1], ARGV[1]
local weight, limit, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local stored = redis.call('ZSCORE', key, '#limit')
if stored then
  if -tonumber(stored) ~= limit then return {-1, -tonumber(stored)} end
elseif redis.call('EXISTS', key) == 1 then
  return redis.error_reply('WRONGTYPE ' .. key .. ' exists and is not a semaphore of this library')
end
local now = serverMs()
-- Permits whose holder stopped renewing them are free again.
redis.call('ZREMRANGEBYSCORE', key, 0, now)
if redis.call('ZSCORE', key, token .. ':1') then
  -- This very acquisition already ran (a command resent after a reconnect).
  renewPermits(key, token, now + ttl)
  keepFor(key, ttl)
  return {1, 0, limit - redis.call('ZCARD', key) + 1}
end
local used = redis.call('ZCARD', key) - (stored and 1 or 0)
if used + weight > limit then
  local earliest = redis.call('ZRANGEBYSCORE', key, '(0', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)[2]
  return {0, earliest and (tonumber(earliest) - now) or -1, 1}
end
for i = 1, weight do redis.call('ZADD', key, now + ttl, token .. ':' .. i) end
if not stored then redis.call('ZADD', key, -limit, '#limit') end
keepFor(key, ttl)
return {1, 0, limit - used - weight}
`;

/**
 * Owner-checked renewal of the permits of many holders in one call (the renewal scheduler
 * batches them). A permit that already expired is never brought back: someone may have taken
 * its place.
 * @internal
 */
export const SEMAPHORE_EXTEND_SCRIPT = `${SEMAPHORE_LUA}${EXTEND_EACH_LUA}
-- KEYS     the semaphore of each holder
-- ARGV     for each holder: its token, then the new ttl in milliseconds
-- Returns one result per holder: 1 when renewed, 0 when its permits had expired.
local now = serverMs()
return extendEach(function(i, token, ttl)
  local expiresAt = tonumber(redis.call('ZSCORE', KEYS[i], token .. ':1'))
  if not (expiresAt and expiresAt > now) then return 0 end
  renewPermits(KEYS[i], token, now + ttl)
  keepFor(KEYS[i], ttl)
  return 1
end)
`;

/**
 * Owner-checked release of a holder's permits, waking a waiter. Idempotent for its own token
 * (see release-mark.lua.ts).
 * @internal
 */
export function semaphoreReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${SEMAPHORE_LUA}${RELEASE_MARK_LUA}
-- KEYS[1]  the semaphore (also its wakeup channel)
-- KEYS[2]  the release mark of this token
-- ARGV[1]  the holder's token
-- Returns 1 when released (now or by an earlier delivery of this release), 0 when its permits
-- had already expired.
local key, token = KEYS[1], ARGV[1]
local expiresAt = tonumber(redis.call('ZSCORE', key, token .. ':1'))
if not expiresAt then
  if releasedBefore(KEYS[2]) then return 1 end
  return 0
end
local i = 1
while redis.call('ZREM', key, token .. ':' .. i) == 1 do i = i + 1 end
if redis.call('ZCOUNT', key, '(0', '+inf') == 0 then
  -- No holder left: the limit goes with them.
  redis.call('DEL', key)
end
if expiresAt <= serverMs() then return 0 end
markReleased(KEYS[2])
-- After every write; never fails the script (no pub/sub permission: waiters poll).
redis.pcall('${publish}', key, 'free')
return 1
`;
}
