import { SERVER_TIME_LUA } from '../lua/server-time.lua.js';

/**
 * Lua shared by the semaphore scripts: how the permits are laid out in the semaphore's key.
 * @internal
 */
export const SEMAPHORE_LUA = `${SERVER_TIME_LUA}
-- The permits of a semaphore are one sorted set:
--   member "<token>:<i>"  permit i (1..weight) of the holder with that token;
--                         score = server ms at which it expires
--   member "#limit"       score = -permits: the limit the current holders agreed on (negative,
--                         so it never falls in the range of expiries)
-- The permits in use are the members with a score above now; a holder that dies stops renewing
-- and its permits fall out of that range at their expiry, without anyone having to notice.
-- Callers that wait are queued beside it (see grant-queued.lua.ts), in the same slot.

-- Moves every permit of a holder to expire at 'expiresAt'; returns how many it has.
local function renewPermits(key, token, expiresAt)
  local i = 1
  while redis.call('ZSCORE', key, token .. ':' .. i) do
    redis.call('ZADD', key, 'XX', expiresAt, token .. ':' .. i)
    i = i + 1
  end
  return i - 1
end

-- Takes back every permit of a holder; returns how many it had.
local function dropPermits(key, token)
  local i = 1
  while redis.call('ZREM', key, token .. ':' .. i) == 1 do i = i + 1 end
  return i - 1
end
`;
