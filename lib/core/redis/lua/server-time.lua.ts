/**
 * Lua shared by every script that keeps its own expiries (semaphore permits, readers, waiters'
 * places): the server's clock, and keys that live as long as the longest entry in them.
 * @internal
 */
export const SERVER_TIME_LUA = `
-- Milliseconds of the server clock. Every expiry of a waiter, a reader or a permit is measured
-- with it, never with a client's clock: clients with skewed clocks still agree.
local function serverMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Stretches a key's life to at least 'ttl' ms (never shortens it), so a key outlives the longest
-- entry in it and then vanishes by itself: nothing is left behind by holders or waiters that died.
local function keepFor(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;
