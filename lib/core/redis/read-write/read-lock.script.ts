import { EXTEND_EACH_LUA } from '../lua/extend-each.lua.js';
import { RELEASE_MARK_LUA } from '../lua/release-mark.lua.js';
import { READ_WRITE_LUA } from './read-write.lua.js';

/**
 * Takes a read lock: granted unless a writer holds the lock or waits for it.
 * @internal
 */
export function readAcquireScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${READ_WRITE_LUA}
-- KEYS[1] state (also the wakeup channel), KEYS[2] readers, KEYS[3] queue, KEYS[4] expiry
-- ARGV[1] token of this acquisition, ARGV[2] ttl in milliseconds
-- Returns {1, 0, 1} when taken (other readers may follow),
--         {0, milliseconds until the caller should look again (or -1), 1} when it must wait.
local state, readers, token, ttl = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])
local mode, wrongType = assertReadWriteLock(state)
if wrongType then return wrongType end
if mode == 'w' then return {0, redis.call('PTTL', state), 1} end
local now = serverMs()
local mine = tonumber(redis.call('ZSCORE', readers, token))
if mine and mine > now then
  -- This very acquisition already ran (a command resent after a reconnect).
  redis.call('ZADD', readers, now + ttl, token)
  keepFor(state, ttl)
  keepFor(readers, ttl)
  return {1, 0, 1}
end
local count = liveReaders(readers, now)
local head, headUntil, headId = queueHead(KEYS[3], KEYS[4], now)
if head then
  -- A writer waits: it goes first.
  if count == 0 then
    -- Nobody holds the lock, so the writer can go now; it may have missed the release.
    redis.call('DEL', state)
    redis.pcall('${publish}', channelOf(state, KEYS[3], headId), 'next:' .. headId)
  end
  return {0, headUntil - now, 1}
end
redis.call('ZADD', readers, now + ttl, token)
redis.call('HSET', state, 'm', 'r')
keepFor(state, ttl)
keepFor(readers, ttl)
return {1, 0, 1}
`;
}

/**
 * Owner-checked renewal of many read locks in one call.
 * @internal
 */
export const READ_EXTEND_SCRIPT = `${READ_WRITE_LUA}${EXTEND_EACH_LUA}
-- KEYS     for each read lock: its state, then its readers
-- ARGV     for each read lock: its token, then the new ttl in milliseconds
-- Returns one result per read lock: 1 when renewed, 0 when it had expired.
local now = serverMs()
return extendEach(function(i, token, ttl)
  local state, readers = KEYS[2 * i - 1], KEYS[2 * i]
  local expiresAt = tonumber(redis.call('ZSCORE', readers, token))
  if not (expiresAt and expiresAt > now) then return 0 end
  redis.call('ZADD', readers, now + ttl, token)
  keepFor(state, ttl)
  keepFor(readers, ttl)
  return 1
end)
`;

/**
 * Owner-checked release of a read lock, idempotent for its own token (see
 * release-mark.lua.ts). The last reader to leave hands the lock to the first waiting writer,
 * by name.
 * @internal
 */
export function readReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${READ_WRITE_LUA}${RELEASE_MARK_LUA}
-- KEYS[1] state (also the wakeup channel), KEYS[2] readers, KEYS[3] queue, KEYS[4] expiry,
-- KEYS[5] the release mark of this token
-- ARGV[1] the reader's token
-- ARGV[2] '0' when the client never sends a command twice: no mark (release-mark.lua.ts)
-- Returns 1 when released (now or by an earlier delivery of this release), 0 when the read lock
-- had expired.
local state, readers = KEYS[1], KEYS[2]
local now = serverMs()
local expiresAt = tonumber(redis.call('ZSCORE', readers, ARGV[1]))
if not expiresAt and releasedBefore(KEYS[5]) then return 1 end
redis.call('ZREM', readers, ARGV[1])
if expiresAt and expiresAt > now then markReleased(KEYS[5]) end
if liveReaders(readers, now) == 0 then
  redis.call('DEL', readers)
  if redis.call('HGET', state, 'm') == 'r' then redis.call('DEL', state) end
  local head, headUntil, headId = queueHead(KEYS[3], KEYS[4], now)
  if head then redis.pcall('${publish}', channelOf(state, KEYS[3], headId), 'next:' .. headId) end
end
if expiresAt and expiresAt > now then return 1 end
return 0
`;
}
