import { grantQueuedLua } from './grant-queued.lua.js';
import { SEMAPHORE_LUA } from './semaphore.lua.js';

/**
 * Takes `weight` permits of a semaphore in one round trip when they are free and nobody queues
 * for them; otherwise a caller that waits takes (or keeps) its place in the semaphore's queue,
 * to be granted permits by a release (see grant-queued.lua.ts). A single attempt (no waiter id)
 * takes free permits only when nobody queues, and never takes a place.
 * @internal
 */
export function semaphoreAcquireScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${SEMAPHORE_LUA}
-- KEYS[1]  the semaphore
-- KEYS[2]  the queue (ZSET), KEYS[3] the waiters' places (HASH), both in the semaphore's slot
-- ARGV[1]  token of this acquisition
-- ARGV[2]  weight: how many permits it takes
-- ARGV[3]  the limit (permits) the caller uses
-- ARGV[4]  ttl of the permits in milliseconds
-- ARGV[5]  how long a waiter keeps its place without renewing it, in milliseconds; permits
--          granted to a waiter last until its place ends, until the waiter confirms them
-- ARGV[6]  the waiter's id in announcements (never its token); '' for a single attempt
-- Returns {1} when taken (or already granted to this caller),
--         {0, milliseconds until the earliest permit expires (or -1)} when a single attempt
--         finds too few free, or finds others queued,
--         {0, milliseconds until the caller should look again, server clock in microseconds}
--         when the caller queues: a grant announced to it later carries a larger clock,
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
  -- Granted to this caller by a release, or this very acquisition ran already (a command
  -- resent after a reconnect): taken, for the full ttl.
  renewPermits(key, token, now + ttl)
  keepFor(key, ttl)
  return {1}
end

-- Earliest expiry of a permit in use, in ms from now; -1 when none.
local function earliest()
  local at = redis.call('ZRANGEBYSCORE', key, '(0', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)[2]
  return at and (tonumber(at) - now) or -1
end

local function take()
  for i = 1, weight do redis.call('ZADD', key, now + ttl, token .. ':' .. i) end
  -- (Written again when a grant just wrote it: the same member and score.)
  if not stored then redis.call('ZADD', key, -limit, '#limit') end
  keepFor(key, ttl)
  return {1}
end

if redis.call('EXISTS', KEYS[2]) == 0 then
  -- Nobody queues: the uncontended path, with no more queue bookkeeping than this look.
  local used = redis.call('ZCARD', key) - (stored and 1 or 0)
  if used + weight <= limit then return take() end
  if ARGV[6] == '' then return {0, earliest()} end
end
-- Defined only past the uncontended path: each definition costs every call that runs it.
${grantQueuedLua(publish)}
-- Permits free while others queue (a holder expired, or a grant went to a waiter that then left):
-- the waiters first in line get them now, as a release would have given them.
local used = grantQueued(key, KEYS[2], KEYS[3], limit, now)
if redis.call('ZSCORE', key, token .. ':1') then
  -- This caller was first in line: its grant is taken for the full ttl.
  renewPermits(key, token, now + ttl)
  keepFor(key, ttl)
  return {1}
end
-- Every place before it had lapsed: the queue is gone, and the caller is first.
if redis.call('EXISTS', KEYS[2]) == 0 and used + weight <= limit then return take() end
-- A single attempt never gets in ahead of the queue, and never joins it.
if ARGV[6] == '' then return {0, earliest()} end
local placeTtl = tonumber(ARGV[5])
queueKeep(KEYS[2], KEYS[3], token, now, placeTtl, ARGV[6], ARGV[2])
-- A waiter looks again at least this often, renewing its place long before it expires, and
-- when the earliest permit would expire (its holder may have died).
local renewEvery = math.max(1, math.floor(placeTtl / 3))
local expiry = earliest()
if expiry < 0 or expiry > renewEvery then expiry = renewEvery end
return {0, expiry, serverUs()}
`;
}
