import { SERVER_TIME_LUA } from './server-time.lua.js';

/**
 * Lua shared by the scripts of fair locks and of read-write locks (whose writers queue): the
 * server clock (see server-time.lua.ts) and a first-come-first-served queue of waiters.
 * Prepended to those scripts.
 * @internal
 */
export const WAIT_QUEUE_LUA = `${SERVER_TIME_LUA}
-- A queue of waiters in arrival order, in two keys of the lock's slot:
--   queue   ZSET  member = waiter token, score = arrival number (1, 2, 3, ...)
--   places  HASH  field = waiter token, value = '<until>|<id>|<owner>': the server ms until which
--                 the waiter keeps its place, the name announcements give it (random, drawn by
--                 the client: never its token), and its owner label
-- A waiter renews its place at each attempt. Only the head decides who goes next, so a waiter
-- whose place expired is dropped when it reaches the head: a dead waiter holds up the others at
-- most until its place expires, and costs nothing before.

-- The first live waiter, the end of its place, its id and owner label; nil when nobody waits.
local function queueHead(queue, places, now)
  while true do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if not head then return nil end
    local place = redis.call('HGET', places, head)
    if place then
      local placeUntil, id, owner = string.match(place, '^(%d+)|([^|]*)|(.*)$')
      placeUntil = tonumber(placeUntil)
      if placeUntil and placeUntil > now then return head, placeUntil, id, owner end
    end
    redis.call('ZREM', queue, head)
    redis.call('HDEL', places, head)
  end
end

-- Puts a waiter at the end of the queue, or renews the place it already has.
local function queueKeep(queue, places, token, now, placeTtl, id, owner)
  if not redis.call('ZSCORE', queue, token) then
    local last = redis.call('ZRANGE', queue, -1, -1, 'WITHSCORES')[2]
    redis.call('ZADD', queue, (tonumber(last) or 0) + 1, token)
  end
  redis.call('HSET', places, token, string.format('%d|%s|%s', now + placeTtl, id, owner))
  keepFor(queue, placeTtl)
  keepFor(places, placeTtl)
end

-- Where an announcement that names waiter 'id' goes: the waiter's manager's own channel of this
-- lock, '<queue>#<hub>' for an id '<hub>.<n>' (in the lock's slot: the queue's {tag} pins it), so
-- no other manager wakes for it; the lock's channel for an id without one (a waiter of an older
-- version, which listens only there).
local function channelOf(lock, queue, id)
  local hub = string.match(id, '^(%x+)%.')
  if hub then return queue .. '#' .. hub end
  return lock
end

-- What a release (or a waiter giving up) announces, and where: the first live waiter by name,
-- or, with nobody queued, a plain wakeup on the lock's channel for whoever waits without a place
-- (the readers of a read-write lock, plain callers of the same key).
local function nextToWake(lock, queue, places, now)
  local head, placeUntil, id = queueHead(queue, places, now)
  if head then return channelOf(lock, queue, id), 'next:' .. id end
  return lock, 'free'
end

-- Takes a waiter out of the queue; deletes the queue once empty.
local function queueLeave(queue, places, token)
  redis.call('ZREM', queue, token)
  redis.call('HDEL', places, token)
  if redis.call('ZCARD', queue) == 0 then redis.call('DEL', queue, places) end
end
`;
