import { handOffLua } from './hand-off.lua.js';
import { FENCING_TOKEN_LUA } from '../lua/fencing-token.lua.js';

/**
 * A waiter of a fair lock gives up (timeout, abort, error, close): it leaves the queue at once,
 * and if the lock was granted to it a moment before (the grant and the giving up crossed), it
 * passes the lock on to the next waiter instead of holding it until the grant ttl ends.
 * @internal
 */
export function fairLeaveScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${FENCING_TOKEN_LUA}${handOffLua(publish)}
-- KEYS[1]  the lock hash (also its wakeup channel)
-- KEYS[2]  the queue, KEYS[3] the waiters' places, KEYS[4] the fencing counter of the slot
-- ARGV[1]  the token of the waiter that leaves
-- Returns 1 when the waiter held the grant and gave it on, 0 otherwise.
local lock, token = KEYS[1], ARGV[1]
queueLeave(KEYS[2], KEYS[3], token)
local holder = redis.call('HGET', lock, 't')
if holder and holder ~= token then return 0 end
if holder == token then
  if not handOff(lock, KEYS[2], KEYS[3], KEYS[4], serverMs()) then
    redis.call('DEL', lock)
  end
  return 1
end
-- Free: the waiter now first may be waiting for a grant that no release will send.
if redis.call('EXISTS', lock) == 0 then
  handOff(lock, KEYS[2], KEYS[3], KEYS[4], serverMs())
end
return 0
`;
}
