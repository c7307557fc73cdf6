/**
 * Owner-checked extension of one lock.
 * @internal
 */
export const EXTEND_SCRIPT = `
-- KEYS[1]  the lock hash
-- ARGV[1]  the holder's token
-- ARGV[2]  new ttl in milliseconds, counted from now
-- Returns 1 when extended, 0 when the key is gone (expired), -1 when another holder has it.
local holder = redis.call('HGET', KEYS[1], 't')
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
-- Never re-create an expired lock: someone may have held it in the gap.
if holder then return -1 end
return 0
`;

/**
 * Owner-checked extension of many locks in one call: the renewal scheduler batches every lock
 * that is due, so thousands of held locks cost a few commands per renewal period.
 * @internal
 */
export const EXTEND_MANY_SCRIPT = `
-- KEYS[i]       lock hashes
-- ARGV[2i - 1]  the holder's token of KEYS[i]
-- ARGV[2i]      new ttl of KEYS[i] in milliseconds
-- Returns one result per key, as the single-lock script does: 1, 0 or -1.
local results = {}
for i = 1, #KEYS do
  local holder = redis.call('HGET', KEYS[i], 't')
  if holder == ARGV[2 * i - 1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
    results[i] = 1
  elseif holder then
    results[i] = -1
  else
    results[i] = 0
  end
end
return results
`;
