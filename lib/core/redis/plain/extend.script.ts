/**
 * Owner-checked extension of one lock (one or more keys), all or none.
 * @internal
 */
export const EXTEND_SCRIPT = `
-- KEYS[1..n]  the lock hashes
-- ARGV[1]     the holder's token
-- ARGV[2]     new ttl in milliseconds, counted from now
-- Returns 1 when extended, 0 when a key is gone (expired), -1 when another holder has a key.
for i = 1, #KEYS do
  local holder = redis.call('HGET', KEYS[i], 't')
  -- Never re-create an expired lock: someone may have held it in the gap.
  if holder ~= ARGV[1] then
    if holder then return -1 end
    return 0
  end
end
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1
`;

/**
 * Owner-checked extension of many locks in one call: the renewal scheduler batches every lock
 * that is due, so thousands of held locks cost a few commands per renewal period.
 * @internal
 */
export const EXTEND_MANY_SCRIPT = `
-- KEYS        the lock hashes of every lock, lock after lock
-- ARGV        for each lock: the number of its keys, its token, its new ttl in milliseconds
-- Returns one result per lock, as the single-lock script does: 1, 0 or -1.
local results = {}
local k = 1
for lock = 1, #ARGV / 3 do
  local count = tonumber(ARGV[3 * lock - 2])
  local token = ARGV[3 * lock - 1]
  local result = 1
  for i = k, k + count - 1 do
    local holder = redis.call('HGET', KEYS[i], 't')
    if holder ~= token then
      if holder then result = -1 elseif result == 1 then result = 0 end
    end
  end
  if result == 1 then
    for i = k, k + count - 1 do redis.call('PEXPIRE', KEYS[i], ARGV[3 * lock]) end
  end
  results[lock] = result
  k = k + count
end
return results
`;
