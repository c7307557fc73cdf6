import { RELEASE_MARK_LUA } from './release-mark.script.js';
import { WAIT_QUEUE_LUA } from './wait-queue.script.js';

/**
 * Owner-checked release of a fair lock: hands the turn to the first live waiter of its queue,
 * by name, so exactly that waiter wakes (no herd). Idempotent for its own token, as a plain
 * lock's release (see release-mark.script.ts).
 * @internal
 */
export function fairReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${WAIT_QUEUE_LUA}${RELEASE_MARK_LUA}
-- KEYS[1]  the lock hash (also its wakeup channel)
-- KEYS[2]  the queue, KEYS[3] the waiters' expiries
-- KEYS[4]  the release mark of this token
-- ARGV[1]  the holder's token
-- Returns 1 when released (now or by an earlier delivery of this release), 0 when the lock was
-- gone (expired), -1 when another holder has it.
local lock = KEYS[1]
local holder = redis.call('HGET', lock, 't')
if holder ~= ARGV[1] then
  if releasedBefore(KEYS[4]) then return 1 end
  if holder then return -1 end
  return 0
end
redis.call('DEL', lock)
markReleased(KEYS[4])
-- After every write; never fails the script (no pub/sub permission: waiters poll).
redis.pcall('${publish}', lock, nextToWake(KEYS[2], KEYS[3], ARGV[1], serverMs()))
return 1
`;
}
