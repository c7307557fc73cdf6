import { EXTEND_EACH_LUA } from '../lua/extend-each.lua.js';
import { FENCING_TOKEN_LUA } from '../lua/fencing-token.lua.js';
import { RELEASE_MARK_LUA } from '../lua/release-mark.lua.js';
import { READ_WRITE_LUA } from './read-write.lua.js';

/**
 * Takes the write lock in arrival order among writers, once no reader holds the lock. A writer
 * that has to wait takes a place in the queue, which also stops new readers.
 * @internal
 */
export function writeAcquireScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${FENCING_TOKEN_LUA}${READ_WRITE_LUA}
-- KEYS[1] state (also the wakeup channel), KEYS[2] readers, KEYS[3] queue, KEYS[4] expiry,
-- KEYS[5] the fencing counter of the slot
-- ARGV[1] token of this acquisition, ARGV[2] ttl in milliseconds, ARGV[3] owner label,
-- ARGV[4] how long a waiting writer keeps its place without renewing it, in milliseconds
-- ARGV[5] the writer's id in announcements (random, never its token); '' for a single attempt,
--         which takes no place in the queue
-- Returns {1, fencing token} when taken,
--         {0, milliseconds until the caller should look again, 1} when it must wait.
local state, readers, token, placeTtl = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[4])
local mode, wrongType = assertReadWriteLock(state)
if wrongType then return wrongType end
if mode == 'w' and redis.call('HGET', state, 'w') == token then
  -- This very acquisition already ran (a command resent after a reconnect).
  redis.call('PEXPIRE', state, ARGV[2])
  return {1, tonumber(redis.call('HGET', state, 'f'))}
end
local now = serverMs()
local renewEvery = math.max(1, math.floor(placeTtl / 3))
local count = liveReaders(readers, now)
local head, headUntil, headId = queueHead(KEYS[3], KEYS[4], now)
if mode ~= 'w' and count == 0 and (not head or head == token) then
  queueLeave(KEYS[3], KEYS[4], token)
  local fence, fenceText = issueFencingToken(KEYS[5])
  redis.call('DEL', state, readers)
  redis.call('HSET', state, 'm', 'w', 'w', token, 'f', fenceText, 'o', ARGV[3])
  redis.call('PEXPIRE', state, ARGV[2])
  return {1, fence}
end
if ARGV[5] ~= '' then queueKeep(KEYS[3], KEYS[4], token, now, placeTtl, ARGV[5], ARGV[3]) end
if mode == 'w' then return {0, math.min(redis.call('PTTL', state), renewEvery), 1} end
if count > 0 then
  -- The last reader to leave names the first writer. Look again by the time the last reader's
  -- hold expires (it may have died), and renew the place meanwhile.
  local lastExpiry = tonumber(redis.call('ZRANGE', readers, -1, -1, 'WITHSCORES')[2])
  return {0, math.min(lastExpiry - now, renewEvery), 1}
end
-- Free, but an earlier writer goes first. It may have missed the release: name it.
redis.pcall('${publish}', channelOf(state, KEYS[3], headId), 'next:' .. headId)
return {0, math.min(headUntil - now, renewEvery), 1}
`;
}

/**
 * Owner-checked renewal of many write locks in one call.
 * @internal
 */
export const WRITE_EXTEND_SCRIPT = `${EXTEND_EACH_LUA}
-- KEYS     the state of each write lock
-- ARGV     for each write lock: its token, then the new ttl in milliseconds
-- Returns one result per write lock: 1 when renewed, 0 when it had expired, -1 when others
-- (readers or another writer) hold the lock now.
return extendEach(function(i, token, ttl)
  if redis.call('HGET', KEYS[i], 'w') == token then
    redis.call('PEXPIRE', KEYS[i], ttl)
    return 1
  end
  if redis.call('EXISTS', KEYS[i]) == 1 then return -1 end
  return 0
end)
`;

/**
 * Owner-checked release of a write lock, idempotent for its own token (see
 * release-mark.lua.ts): the next waiting writer is named; when none waits, the waiting readers
 * are woken.
 * @internal
 */
export function writeReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${READ_WRITE_LUA}${RELEASE_MARK_LUA}
-- KEYS[1] state (also the wakeup channel), KEYS[2] queue, KEYS[3] expiry,
-- KEYS[4] the release mark of this token
-- ARGV[1] the writer's token
-- ARGV[2] '0' when the client never sends a command twice: no mark (release-mark.lua.ts)
-- Returns 1 when released (now or by an earlier delivery of this release), 0 when it had
-- expired, -1 when others hold the lock now.
local state = KEYS[1]
if redis.call('HGET', state, 'w') ~= ARGV[1] then
  if releasedBefore(KEYS[4]) then return 1 end
  if redis.call('EXISTS', state) == 1 then return -1 end
  return 0
end
redis.call('DEL', state)
markReleased(KEYS[4])
-- After every write; never fails the script (no pub/sub permission: waiters poll).
redis.pcall('${publish}', nextToWake(state, KEYS[2], KEYS[3], serverMs()))
return 1
`;
}
