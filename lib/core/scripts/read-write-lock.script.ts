import { FENCING_TOKEN_LUA } from './fencing-token.script.js';
import { RELEASE_MARK_LUA } from './release-mark.script.js';
import { WAIT_QUEUE_LUA } from './wait-queue.script.js';

/**
 * Lua shared by the read-write lock scripts: how the lock is laid out.
 * @internal
 */
const READ_WRITE_LUA = `${WAIT_QUEUE_LUA}
-- A read-write lock lives in four keys of one Cluster slot:
--   state    HASH  m = 'r' while readers hold it, 'w' while a writer does; with a writer also
--                  w = its token, f = its fencing token, o = its owner label. It exists exactly
--                  while the lock is held, and has the name a plain lock of the same key would
--                  have, so using one name for both is reported instead of silently ignored.
--   readers  ZSET  member = a reader's token, score = server ms at which its hold expires
--   queue, expiry  the writers waiting, in arrival order (see queueKeep)
-- Writers go first: no new reader gets in while a writer waits, so a steady stream of readers
-- cannot starve writers. Readers waiting for writers are woken when the last writer leaves.

local function assertReadWriteLock(state)
  local mode = redis.call('HGET', state, 'm')
  if not mode and redis.call('EXISTS', state) == 1 then
    return nil, redis.error_reply('WRONGTYPE ' .. state .. ' exists and is not a read-write lock of this library')
  end
  return mode
end

-- Readers whose hold is still valid (expired ones are dropped).
local function liveReaders(readers, now)
  redis.call('ZREMRANGEBYSCORE', readers, 0, now)
  return redis.call('ZCARD', readers)
end
`;

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
    redis.pcall('${publish}', state, 'next:' .. headId)
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
export const READ_EXTEND_SCRIPT = `${READ_WRITE_LUA}
-- KEYS     for each read lock: its state, then its readers
-- ARGV     for each read lock: its token, then the new ttl in milliseconds
-- Returns one result per read lock: 1 when renewed, 0 when it had expired.
local now = serverMs()
local results = {}
for i = 1, #ARGV / 2 do
  local state, readers = KEYS[2 * i - 1], KEYS[2 * i]
  local token, ttl = ARGV[2 * i - 1], tonumber(ARGV[2 * i])
  local expiresAt = tonumber(redis.call('ZSCORE', readers, token))
  if expiresAt and expiresAt > now then
    redis.call('ZADD', readers, now + ttl, token)
    keepFor(state, ttl)
    keepFor(readers, ttl)
    results[i] = 1
  else
    results[i] = 0
  end
end
return results
`;

/**
 * Owner-checked release of a read lock, idempotent for its own token (see
 * release-mark.script.ts). The last reader to leave hands the lock to the first waiting writer,
 * by name.
 * @internal
 */
export function readReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${READ_WRITE_LUA}${RELEASE_MARK_LUA}
-- KEYS[1] state (also the wakeup channel), KEYS[2] readers, KEYS[3] queue, KEYS[4] expiry,
-- KEYS[5] the release mark of this token
-- ARGV[1] the reader's token
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
  if head then redis.pcall('${publish}', state, 'next:' .. headId) end
end
if expiresAt and expiresAt > now then return 1 end
return 0
`;
}

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
-- ARGV[5] the writer's id in announcements (a digest of its token)
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
queueKeep(KEYS[3], KEYS[4], token, now, placeTtl, ARGV[5], ARGV[3])
if mode == 'w' then return {0, math.min(redis.call('PTTL', state), renewEvery), 1} end
if count > 0 then
  -- The last reader to leave names the first writer. Look again by the time the last reader's
  -- hold expires (it may have died), and renew the place meanwhile.
  local lastExpiry = tonumber(redis.call('ZRANGE', readers, -1, -1, 'WITHSCORES')[2])
  return {0, math.min(lastExpiry - now, renewEvery), 1}
end
-- Free, but an earlier writer goes first. It may have missed the release: name it.
redis.pcall('${publish}', state, 'next:' .. headId)
return {0, math.min(headUntil - now, renewEvery), 1}
`;
}

/**
 * Owner-checked renewal of many write locks in one call.
 * @internal
 */
export const WRITE_EXTEND_SCRIPT = `
-- KEYS     the state of each write lock
-- ARGV     for each write lock: its token, then the new ttl in milliseconds
-- Returns one result per write lock: 1 when renewed, 0 when it had expired, -1 when others
-- (readers or another writer) hold the lock now.
local results = {}
for i = 1, #KEYS do
  local token, ttl = ARGV[2 * i - 1], ARGV[2 * i]
  local writer = redis.call('HGET', KEYS[i], 'w')
  if writer == token then
    redis.call('PEXPIRE', KEYS[i], ttl)
    results[i] = 1
  elseif redis.call('EXISTS', KEYS[i]) == 1 then
    results[i] = -1
  else
    results[i] = 0
  end
end
return results
`;

/**
 * Owner-checked release of a write lock, idempotent for its own token (see
 * release-mark.script.ts): the next waiting writer is named; when none waits, the waiting readers
 * are woken.
 * @internal
 */
export function writeReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${READ_WRITE_LUA}${RELEASE_MARK_LUA}
-- KEYS[1] state (also the wakeup channel), KEYS[2] queue, KEYS[3] expiry,
-- KEYS[4] the release mark of this token
-- ARGV[1] the writer's token
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
redis.pcall('${publish}', state, nextToWake(KEYS[2], KEYS[3], serverMs()))
return 1
`;
}
