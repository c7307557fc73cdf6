import { WAIT_QUEUE_LUA } from '../lua/wait-queue.lua.js';

/**
 * Lua shared by the read-write lock scripts: how the lock is laid out.
 * @internal
 */
export const READ_WRITE_LUA = `${WAIT_QUEUE_LUA}
-- A read-write lock lives in four keys of one Cluster slot:
--   state    HASH  m = 'r' while readers hold it, 'w' while a writer does; with a writer also
--                  w = its token, f = its fencing token, o = its owner label. It exists exactly
--                  while the lock is held, and has the name a plain lock of the same key would
--                  have, so using one name for both is reported instead of silently ignored.
--   readers  ZSET  member = a reader's token, score = server ms at which its hold expires
--   queue, expiry  the writers waiting, in arrival order (see queueKeep)
-- Writers go first: no new reader gets in while a writer waits, so a steady stream of readers
-- cannot starve writers. Readers waiting for writers are woken when the last writer leaves.

local function assertReadWriteLock(state)
  local mode = redis.call('HGET', state, 'm')
  if not mode and redis.call('EXISTS', state) == 1 then
    return nil, redis.error_reply('WRONGTYPE ' .. state .. ' exists and is not a read-write lock of this library')
  end
  return mode
end

-- Readers whose hold is still valid (expired ones are dropped).
local function liveReaders(readers, now)
  redis.call('ZREMRANGEBYSCORE', readers, 0, now)
  return redis.call('ZCARD', readers)
end
`;
