/**
 * Raises the fencing counter of a slot (or a master) to a lock's final fencing token, and
 * stores that token on the lock, if the lock is still ours.
 *
 * A lock taken on several counters (the masters of a quorum, the slots of a cross-slot lock)
 * gets the largest token they issued. Raising the other counters to it makes every later holder
 * of any of its keys get a larger token, whichever counters that holder goes through.
 * @internal
 */
export const RAISE_FENCE_SCRIPT = `
-- KEYS[1..n]  the lock hashes (all in one slot)
-- KEYS[n + 1] the fencing counter of that slot
-- ARGV[1]     the holder's token
-- ARGV[2]     the lock's final fencing token
-- Returns 1 when raised, 0 when a key is gone (expired), -1 when another holder has a key.
local n = #KEYS - 1
for i = 1, n do
  local holder = redis.call('HGET', KEYS[i], 't')
  if holder ~= ARGV[1] then
    if holder then return -1 end
    return 0
  end
end
-- Compared as numbers: tokens are integers below 2^53, exact in Lua's doubles.
if (tonumber(redis.call('GET', KEYS[n + 1])) or 0) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[n + 1], ARGV[2])
end
for i = 1, n do redis.call('HSET', KEYS[i], 'f', ARGV[2]) end
return 1
`;
