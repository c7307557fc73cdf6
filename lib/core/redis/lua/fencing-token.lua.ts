/**
 * Lua shared by every script that grants an exclusive lock (plain, fair, write): issues the next
 * fencing token of a slot. Prepended to those scripts.
 * @internal
 */
export const FENCING_TOKEN_LUA = `
-- The fencing token is one more than the last token of this slot, and never below the server
-- clock in microseconds: it keeps increasing even if the counter is lost (a restart without
-- persistence, a failover to a replica that missed the last write), while the counter keeps it
-- increasing whatever the clock does as long as the counter survives. One counter per slot, not
-- per lock, so short-lived lock names leave no key behind.
-- Returns the token as a number and as text (%.0f: Lua would print a number this large in
-- exponent notation).
local function issueFencingToken(counter)
  local now = redis.call('TIME')
  local fence = tonumber(now[1]) * 1000000 + tonumber(now[2])
  local fenceText = string.format('%.0f', fence)
  -- One call reads the last token and writes the clock's (SET ... GET, Redis 6.2): the clock is
  -- ahead of the counter unless tokens were issued faster than one per microsecond.
  local last = tonumber(redis.call('SET', counter, fenceText, 'GET'))
  if last and last >= fence then
    fence = last + 1
    fenceText = string.format('%.0f', fence)
    redis.call('SET', counter, fenceText)
  end
  return fence, fenceText
end`;
