import { grantQueuedLua } from './grant-queued.lua.js';
import { SEMAPHORE_LUA } from './semaphore.lua.js';

/**
 * A waiter of a semaphore gives up (timeout, abort, error, close): it leaves the queue at once,
 * gives back permits granted to it a moment before (the grant and the giving up crossed), and
 * lets the waiters behind it have what is free now (it may have been a heavy head that held
 * them up).
 * @internal
 */
export function semaphoreLeaveScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${SEMAPHORE_LUA}${grantQueuedLua(publish)}
-- KEYS[1]  the semaphore
-- KEYS[2]  the queue, KEYS[3] the waiters' places
-- ARGV[1]  the token of the waiter that leaves
-- Returns 1 when the waiter held permits and gave them back, 0 otherwise.
local key, token = KEYS[1], ARGV[1]
queueLeave(KEYS[2], KEYS[3], token)
-- Another kind of key under this name (a lock): nothing of it is the waiter's.
if redis.call('TYPE', key)['ok'] ~= 'zset' then return 0 end
local gave = dropPermits(key, token) > 0 and 1 or 0
local stored = redis.call('ZSCORE', key, '#limit')
if stored and redis.call('EXISTS', KEYS[2]) == 1 then
  grantQueued(key, KEYS[2], KEYS[3], -tonumber(stored), serverMs())
end
if redis.call('ZCOUNT', key, '(0', '+inf') == 0 then redis.call('DEL', key) end
return gave
`;
}
