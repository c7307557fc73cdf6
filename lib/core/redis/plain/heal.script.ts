/**
 * Re-creates a quorum lock on a master that lost it (restarted without persistence), while the
 * holder still holds a majority elsewhere.
 *
 * Safe because the holder has a majority: nobody else can hold the lock on a majority at the
 * same time, so recreating the key where it is missing takes it from no one. Without this a
 * holder's majority would erode with each restart until one more loss lost the lock.
 * @internal
 */
export const HEAL_SCRIPT = `
-- KEYS[1..n]  the lock hashes (all on this master)
-- KEYS[n + 1] the fencing counter of this master
-- ARGV[1]     the holder's token
-- ARGV[2]     ttl in milliseconds
-- ARGV[3]     the lock's fencing token
-- ARGV[4]     owner label
-- Returns the number of keys recreated. A key someone else holds is left alone.
local n = #KEYS - 1
local healed = 0
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 't', ARGV[1], 'f', ARGV[3], 'o', ARGV[4])
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    healed = healed + 1
  end
end
-- The restart lost this master's counter too: without raising it, the next token it issues
-- would come from its clock alone.
if healed > 0 and (tonumber(redis.call('GET', KEYS[n + 1])) or 0) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[n + 1], ARGV[3])
end
return healed
`;
