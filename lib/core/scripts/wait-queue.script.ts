/**
 * Lua shared by the scripts of fair locks and of read-write locks (whose writers queue): the
 * server clock, waiter names, and a first-come-first-served queue of waiters. Prepended to those
 * scripts.
 * @internal
 */
export const WAIT_QUEUE_LUA = `
-- Milliseconds of the server clock. Every expiry of a waiter, a reader or a permit is measured
-- with it, never with a client's clock: clients with skewed clocks still agree.
local function serverMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

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
  -- The keys outlive the longest place in them, then vanish by themselves: a queue of waiters
  -- that all died leaves nothing behind.
  for _, key in ipairs({queue, expiry}) do
    if redis.call('PTTL', key) < placeTtl then redis.call('PEXPIRE', key, placeTtl) end
  end
end

-- Takes a waiter out of the queue; deletes the queue once empty.
local function queueLeave(queue, expiry, token)
  redis.call('ZREM', queue, token)
  redis.call('HDEL', expiry, token)
  if redis.call('ZCARD', queue) == 0 then redis.call('DEL', queue, expiry) end
end
`;
