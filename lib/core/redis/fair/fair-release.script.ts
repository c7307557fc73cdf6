import { handOffLua } from './hand-off.lua.js';
import { FENCING_TOKEN_LUA } from '../lua/fencing-token.lua.js';
import { RELEASE_MARK_LUA } from '../lua/release-mark.lua.js';

/**
 * Owner-checked release of a fair lock: the lock goes straight to the first live waiter of its
 * queue (see hand-off.lua.ts), or is deleted when nobody waits. Idempotent for its own token,
 * as a plain lock's release (see release-mark.lua.ts).
 * @internal
 */
export function fairReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${RELEASE_MARK_LUA}
-- KEYS[1]  the lock hash (also its wakeup channel)
-- KEYS[2]  the queue, KEYS[3] the waiters' places
-- KEYS[4]  the release mark of this token, KEYS[5] the fencing counter of the slot
-- ARGV[1]  the holder's token
-- ARGV[2]  '0' when the client never sends a command twice: no mark (release-mark.lua.ts)
-- Returns 1 when released (now or by an earlier delivery of this release), 0 when the lock was
-- gone (expired), -1 when another holder has it.
local lock = KEYS[1]
local holder = redis.call('HGET', lock, 't')
if holder ~= ARGV[1] then
  if releasedBefore(KEYS[4]) then return 1 end
  if holder then return -1 end
  return 0
end
markReleased(KEYS[4])
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', lock)
  return 1
end
-- Defined only once someone queues: each definition costs every call that runs it.
${FENCING_TOKEN_LUA}${handOffLua(publish)}
if not handOff(lock, KEYS[2], KEYS[3], KEYS[5], serverMs()) then redis.call('DEL', lock) end
return 1
`;
}
