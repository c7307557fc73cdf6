import { SERVER_TIME_LUA } from './server-time.script.js';

/**
 * Lua shared by the scripts of fair locks and of read-write locks (whose writers queue): the
 * server clock (see server-time.script.ts), waiter names, and a first-come-first-served queue of waiters. Prepended to those
 * scripts.
 * @internal
 */
export const WAIT_QUEUE_LUA = `${SERVER_TIME_LUA}
-- How an announcement names a waiter: a prefix of its token's SHA-1, never the token itself.
local function waiterId(token)
  return string.sub(redis.sha1hex(token), 1, 16)
end

-- A queue of waiters in arrival order, in two keys of the lock's slot:
--   queue   ZSET  member = waiter token, score = arrival number (1, 2, 3, ...)
--   expiry  HASH  field = waiter token, value = server ms until which the waiter keeps its place
-- A waiter renews its place at each attempt. Only the head decides who goes next, so a waiter
-- whose place expired is dropped when it reaches the head: a dead waiter holds up the others at
-- most until its place expires, and costs nothing before.

-- The first live waiter and the end of its place, or nil when nobody waits.
local function queueHead(queue, expiry, now)
  while true do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if not head then return nil end
    local placeUntil = tonumber(redis.call('HGET', expiry, head))
    if placeUntil and placeUntil > now then return head, placeUntil end
    redis.call('ZREM', queue, head)
    redis.call('HDEL', expiry, head)
  end
end

-- Puts a waiter at the end of the queue, or renews the place it already has.
local function queueKeep(queue, expiry, token, now, placeTtl)
  if not redis.call('ZSCORE', queue, token) then
    local last = redis.call('ZRANGE', queue, -1, -1, 'WITHSCORES')[2]
    redis.call('ZADD', queue, (tonumber(last) or 0) + 1, token)
  end
  redis.call('HSET', expiry, token, now + placeTtl)
  keepFor(queue, placeTtl)
  keepFor(expiry, placeTtl)
end

-- What a release (or a waiter giving up) announces: the first live waiter by name, or, with
-- nobody queued, the name of the one leaving, which wakes whoever waits without a place (plain
-- callers of the same key, the readers of a read-write lock).
local function nextToWake(queue, expiry, leaving, now)
  local head = queueHead(queue, expiry, now)
  if head then return 'next:' .. waiterId(head) end
  return waiterId(leaving)
end

-- Takes a waiter out of the queue; deletes the queue once empty.
local function queueLeave(queue, expiry, token)
  redis.call('ZREM', queue, token)
  redis.call('HDEL', expiry, token)
  if redis.call('ZCARD', queue) == 0 then redis.call('DEL', queue, expiry) end
end
`;
