import { WAIT_QUEUE_LUA } from '../lua/wait-queue.lua.js';

/**
 * Lua shared by the semaphore scripts that free permits or find them free while callers queue:
 * the direct handoff. Permits go to the queued waiters in arrival order, straight from the
 * script, for as long as each waiter's place lasts (the grant ttl, until the waiter confirms
 * them with its first extension), each grant announced to its waiter by name on its manager's
 * own channel (see channelOf in wait-queue.lua.ts): nobody else wakes, and the waiter needs no
 * acquire round trip.
 *
 * A head heavier than the permits free stops the handing out: a lighter waiter behind it would
 * otherwise keep getting in first, and the heavy one might never see enough permits free at
 * once. The queue's places carry each waiter's weight where a lock's queue keeps the owner
 * label (permits have no owner label).
 *
 * Each grant announces the server clock in microseconds: an attempt that queued its caller
 * answers with the clock it ran at, so the caller takes only a grant made after that attempt
 * (one made before, and announced late, has since expired: the attempt would have found the
 * permits otherwise).
 *
 * Defined after the uncontended path of a script returned: every definition runs on every call
 * that reaches it.
 * @internal
 */
export function grantQueuedLua(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${WAIT_QUEUE_LUA}
-- The server clock in microseconds, as text (%.0f: Lua prints a number this large in exponent
-- notation otherwise).
local function serverUs()
  local t = redis.call('TIME')
  return string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2]))
end

-- Hands the free permits of 'key' to the waiters at the head of its queue, in order, while the
-- head's weight fits under 'limit'. Expired permits are dropped first. Announcements go out
-- after every write, and never fail the script (without pub/sub permission a waiter finds its
-- grant at its next look). Returns the permits in use afterwards.
local function grantQueued(key, queue, places, limit, now)
  redis.call('ZREMRANGEBYSCORE', key, 0, now)
  local used = redis.call('ZCOUNT', key, '(0', '+inf')
  local stamp
  while used < limit do
    local head, placeUntil, id, weight = queueHead(queue, places, now)
    if not head then break end
    weight = tonumber(weight) or 1
    if used + weight > limit then break end
    queueLeave(queue, places, head)
    for i = 1, weight do redis.call('ZADD', key, placeUntil, head .. ':' .. i) end
    used = used + weight
    keepFor(key, placeUntil - now)
    stamp = stamp or serverUs()
    redis.pcall('${publish}', channelOf(key, queue, id), 'grant:' .. id .. ':' .. stamp)
  end
  if stamp and not redis.call('ZSCORE', key, '#limit') then
    redis.call('ZADD', key, -limit, '#limit')
  end
  return used
end
`;
}
