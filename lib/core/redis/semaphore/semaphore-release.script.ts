import { RELEASE_MARK_LUA } from '../lua/release-mark.lua.js';
import { grantQueuedLua } from './grant-queued.lua.js';
import { SEMAPHORE_LUA } from './semaphore.lua.js';

/**
 * Owner-checked release of a holder's permits: with callers queued, the permits go straight to
 * the first of them (see grant-queued.lua.ts), each told on its own manager's channel; with
 * nobody queued, nothing is announced. Idempotent for its own token (see release-mark.lua.ts).
 * @internal
 */
export function semaphoreReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${SEMAPHORE_LUA}${RELEASE_MARK_LUA}
-- KEYS[1]  the semaphore
-- KEYS[2]  the release mark of this token
-- KEYS[3]  the queue, KEYS[4] the waiters' places
-- ARGV[1]  the holder's token
-- ARGV[2]  '0' when the client never sends a command twice: no mark (release-mark.lua.ts)
-- Returns 1 when released (now or by an earlier delivery of this release), 0 when its permits
-- had already expired.
local key, token = KEYS[1], ARGV[1]
local expiresAt = tonumber(redis.call('ZSCORE', key, token .. ':1'))
if not expiresAt then
  if releasedBefore(KEYS[2]) then return 1 end
  return 0
end
dropPermits(key, token)
local now = serverMs()
if redis.call('EXISTS', KEYS[3]) == 1 then
  local stored = redis.call('ZSCORE', key, '#limit')
  -- Defined only once someone queues: each definition costs every call that runs it.
  ${grantQueuedLua(publish)}
  if stored then grantQueued(key, KEYS[3], KEYS[4], -tonumber(stored), now) end
end
if redis.call('ZCOUNT', key, '(0', '+inf') == 0 then
  -- No holder left: the limit goes with them.
  redis.call('DEL', key)
end
if expiresAt <= now then return 0 end
markReleased(KEYS[2])
return 1
`;
}
