import { EXTEND_EACH_LUA } from '../lua/extend-each.lua.js';
import { SEMAPHORE_LUA } from './semaphore.lua.js';

/**
 * Owner-checked renewal of the permits of many holders in one call (the renewal scheduler
 * batches them). A permit that already expired is never brought back: someone may have taken
 * its place. Permits granted to a waiter are renewed the same way: its first renewal confirms
 * them for its own ttl.
 * @internal
 */
export const SEMAPHORE_EXTEND_SCRIPT = `${SEMAPHORE_LUA}${EXTEND_EACH_LUA}
-- KEYS     the semaphore of each holder
-- ARGV     for each holder: its token, then the new ttl in milliseconds
-- Returns one result per holder: 1 when renewed, 0 when its permits had expired.
local now = serverMs()
return extendEach(function(i, token, ttl)
  local expiresAt = tonumber(redis.call('ZSCORE', KEYS[i], token .. ':1'))
  if not (expiresAt and expiresAt > now) then return 0 end
  renewPermits(KEYS[i], token, now + ttl)
  keepFor(KEYS[i], ttl)
  return 1
end)
`;
