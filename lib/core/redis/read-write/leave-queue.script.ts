import { WAIT_QUEUE_LUA } from '../lua/wait-queue.lua.js';

/**
 * A writer of a read-write lock gives up: it leaves the queue at once instead of holding up the
 * others until its place expires, and if that makes another writer first while the lock is free,
 * that writer is told. (A fair lock's waiter leaves through fair-leave.script.ts.)
 * @internal
 */
export function leaveQueueScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${WAIT_QUEUE_LUA}
-- KEYS[1]  the lock hash (also its wakeup channel)
-- KEYS[2]  the queue, KEYS[3] the waiters' expiries
-- KEYS[4]  optional: the readers (ZSET) of a read-write lock, which must be gone too
-- ARGV[1]  the token of the waiter that leaves
-- ARGV[2]  the hash field that holds the lock's owner token ('t' for a lock, 'w' for a writer)
-- Returns 1.
queueLeave(KEYS[2], KEYS[3], ARGV[1])
local now = serverMs()
local head, placeUntil, id = queueHead(KEYS[2], KEYS[3], now)
-- Held: its release will wake the next one.
if redis.call('HGET', KEYS[1], ARGV[2]) then return 1 end
if not head then
  -- Nobody queues any more: whoever waited behind the queue (the readers of a read-write lock,
  -- plain callers) may go now.
  redis.pcall('${publish}', KEYS[1], 'free')
  return 1
end
if KEYS[4] and redis.call('ZCOUNT', KEYS[4], '(' .. now, '+inf') > 0 then return 1 end
redis.pcall('${publish}', channelOf(KEYS[1], KEYS[2], id), 'next:' .. id)
return 1
`;
}
