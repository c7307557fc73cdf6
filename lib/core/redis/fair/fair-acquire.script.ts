import { handOffLua } from './hand-off.lua.js';
import { FENCING_TOKEN_LUA } from '../lua/fencing-token.lua.js';

/**
 * Takes a lock in arrival order: a caller gets a free lock only when nobody queues before it;
 * otherwise it takes (or keeps) its place in the lock's queue and is granted the lock by a
 * release (see hand-off.lua.ts). The lock key is the same hash a plain lock uses, so fair and
 * plain callers of one key exclude each other.
 * @internal
 */
export function fairAcquireScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${FENCING_TOKEN_LUA}
-- KEYS[1]  the lock hash (also its wakeup channel)
-- KEYS[2]  the fencing counter of its slot
-- KEYS[3]  the queue (ZSET), KEYS[4] the waiters' places (HASH), both in the lock's slot
-- ARGV[1]  token of this acquisition
-- ARGV[2]  ttl of the lock in milliseconds
-- ARGV[3]  owner label
-- ARGV[4]  how long a waiter keeps its place without renewing it, in milliseconds; a lock
--          granted to a waiter lasts until its place ends, until the waiter confirms it
-- ARGV[5]  the waiter's id in announcements (random, never its token); '' for a single attempt,
--          which takes no place in the queue
-- Returns {1, fencing token} when taken (or already granted to this caller),
--         {0, milliseconds until the caller should look again, 1, fencing token of the holder}
--         when it must wait: a grant announced to the caller later carries a larger token, so
--         the caller can tell a fresh grant from an old one delayed on its way.
local lock, token, placeTtl = KEYS[1], ARGV[1], tonumber(ARGV[4])
if redis.call('EXISTS', lock, KEYS[3]) == 0 then
  -- Free, and nobody queues: the uncontended path, without reading the holder, the clock or
  -- the queue (five calls in all).
  local fence, fenceText = issueFencingToken(KEYS[2])
  redis.call('HSET', lock, 't', token, 'f', fenceText, 'o', ARGV[3])
  redis.call('PEXPIRE', lock, ARGV[2])
  return {1, fence}
end
-- Defined only past the uncontended path: each definition costs every call that runs it.
${handOffLua(publish)}
local holder = redis.call('HGET', lock, 't')
if holder == token then
  -- Granted to this caller by a release, or this very acquisition ran already (a command
  -- resent after a reconnect): take it, for the full ttl.
  redis.call('PEXPIRE', lock, ARGV[2])
  return {1, tonumber(redis.call('HGET', lock, 'f'))}
end
if not holder and redis.call('EXISTS', lock) == 1 then
  return redis.error_reply('WRONGTYPE ' .. lock .. ' exists and is not a lock held by this library')
end
local now = serverMs()
-- A waiter looks again at least this often, renewing its place long before it expires.
local renewEvery = math.max(1, math.floor(placeTtl / 3))
if not holder then
  local head = queueHead(KEYS[3], KEYS[4], now)
  if not head or head == token then
    queueLeave(KEYS[3], KEYS[4], token)
    local fence, fenceText = issueFencingToken(KEYS[2])
    redis.call('HSET', lock, 't', token, 'f', fenceText, 'o', ARGV[3])
    redis.call('PEXPIRE', lock, ARGV[2])
    return {1, fence}
  end
  -- Free while others queue (its holder expired, or a grant went to a waiter that then left):
  -- the first of them gets it now, as a release would have given it.
  handOff(lock, KEYS[3], KEYS[4], KEYS[2], now)
end
if ARGV[5] ~= '' then queueKeep(KEYS[3], KEYS[4], token, now, placeTtl, ARGV[5], ARGV[3]) end
return {0, math.min(redis.call('PTTL', lock), renewEvery), 1, redis.call('HGET', lock, 'f') or '0'}
`;
}
