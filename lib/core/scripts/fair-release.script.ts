import { WAIT_QUEUE_LUA } from './wait-queue.script.js';

/**
 * Owner-checked release of a fair lock: hands the turn to the first live waiter of its queue,
 * by name, so exactly that waiter wakes (no herd).
 * @internal
 */
export function fairReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${WAIT_QUEUE_LUA}
-- KEYS[1]  the lock hash (also its wakeup channel)
-- KEYS[2]  the queue, KEYS[3] the waiters' expiries
-- ARGV[1]  the holder's token
-- Returns 1 when released, 0 when the lock was gone (expired), -1 when another holder has it.
local lock = KEYS[1]
local holder = redis.call('HGET', lock, 't')
if holder ~= ARGV[1] then
  if holder then return -1 end
  return 0
end
redis.call('DEL', lock)
redis.call('${publish}', lock, nextToWake(KEYS[2], KEYS[3], ARGV[1], serverMs()))
return 1
`;
}
