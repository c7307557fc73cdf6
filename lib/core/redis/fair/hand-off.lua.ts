import { WAIT_QUEUE_LUA } from '../lua/wait-queue.lua.js';

/**
 * Lua shared by the scripts of the queued lock (fair lock): the direct handoff. A release (or a
 * free lock found with waiters queued) grants the lock to the first live waiter itself, with a
 * fencing token, until the end of that waiter's place in the queue, and announces the grant to
 * that waiter by name, on its manager's own channel of the lock; the waiter needs no acquire
 * round trip, and confirms the grant with its first extension. A waiter that died costs the others at most its place ttl (the grant ttl).
 *
 * The grant lasts until the place ends, not a ttl of the releaser's: the waiter set that end
 * itself, with its own place ttl, by the last attempt it sent, so the validity it counts from
 * that attempt's sending (see AcquireCall.takeGrant) never outlasts the key, whatever place ttl
 * the releasing manager was configured with.
 *
 * Uses `issueFencingToken` (FENCING_TOKEN_LUA), which the script defines before it: a script
 * defines the functions its common path needs first, then returns on that path, and defines the
 * rest (this) after it, since every definition runs on every call.
 * @internal
 */
export function handOffLua(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${WAIT_QUEUE_LUA}
-- Grants 'lock' to the first live waiter of the queue, until its place ends: returns true, or
-- false when nobody waits. The announcement 'grant:<id>:<fencing token>' names the waiter; it
-- goes out after every write and never fails the script (without pub/sub permission the waiter
-- finds its grant by polling), on the waiter's manager's own channel (see channelOf).
local function handOff(lock, queue, places, counter, now)
  local head, placeUntil, id, owner = queueHead(queue, places, now)
  if not head then return false end
  queueLeave(queue, places, head)
  local fence, fenceText = issueFencingToken(counter)
  redis.call('HSET', lock, 't', head, 'f', fenceText, 'o', owner)
  redis.call('PEXPIRE', lock, placeUntil - now)
  redis.pcall('${publish}', channelOf(lock, queue, id), 'grant:' .. id .. ':' .. fenceText)
  return true
end
`;
}
