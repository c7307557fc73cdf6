import { FENCING_TOKEN_LUA } from './fencing-token.script.js';
import { WAIT_QUEUE_LUA } from './wait-queue.script.js';

/**
 * Takes a lock in arrival order: a caller gets a free lock only when nobody queues before it;
 * otherwise it takes (or keeps) its place in the lock's queue. The lock key is the same hash a
 * plain lock uses, so fair and plain callers of one key exclude each other.
 * @internal
 */
export function fairAcquireScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${FENCING_TOKEN_LUA}${WAIT_QUEUE_LUA}
-- KEYS[1]  the lock hash (also its wakeup channel)
-- KEYS[2]  the fencing counter of its slot
-- KEYS[3]  the queue (ZSET), KEYS[4] the waiters' expiries (HASH), both in the lock's slot
-- ARGV[1]  token of this acquisition
-- ARGV[2]  ttl of the lock in milliseconds
-- ARGV[3]  owner label
-- ARGV[4]  how long a waiter keeps its place without renewing it, in milliseconds
-- Returns {1, fencing token} when taken,
--         {0, milliseconds until the caller should look again, 1} when it must wait.
local lock, token, placeTtl = KEYS[1], ARGV[1], tonumber(ARGV[4])
local holder = redis.call('HGET', lock, 't')
if holder == token then
  -- This very acquisition already ran (a command resent after a reconnect).
  redis.call('PEXPIRE', lock, ARGV[2])
  return {1, tonumber(redis.call('HGET', lock, 'f'))}
end
if not holder and redis.call('EXISTS', lock) == 1 then
  return redis.error_reply('WRONGTYPE ' .. lock .. ' exists and is not a lock held by this library')
end
local now = serverMs()
-- A waiter looks again at least this often, renewing its place long before it expires.
local renewEvery = math.max(1, math.floor(placeTtl / 3))
local head, headUntil = queueHead(KEYS[3], KEYS[4], now)
if not holder and (not head or head == token) then
  queueLeave(KEYS[3], KEYS[4], token)
  local fence, fenceText = issueFencingToken(KEYS[2])
  redis.call('HSET', lock, 't', token, 'f', fenceText, 'o', ARGV[3])
  redis.call('PEXPIRE', lock, ARGV[2])
  return {1, fence}
end
queueKeep(KEYS[3], KEYS[4], token, now, placeTtl)
if holder then
  return {0, math.min(redis.call('PTTL', lock), renewEvery), 1}
end
-- Free, but an earlier waiter goes first. It may have missed the release (its attempt was in
-- flight): name it, so it looks again now.
redis.pcall('${publish}', lock, 'next:' .. waiterId(head))
return {0, math.min(headUntil - now, renewEvery), 1}
`;
}
