import { createHash } from 'node:crypto';
import { FENCING_TOKEN_LUA } from '../lua/fencing-token.lua.js';

/**
 * Takes a lock on one or more keys in one round trip, all or none, and issues its fencing token.
 *
 * A held lock key is a hash: t = the holder's token, f = its fencing token, o = the owner label.
 * @internal
 */
export const ACQUIRE_SCRIPT = `${FENCING_TOKEN_LUA}
-- KEYS[1..n]  the lock hashes (n >= 1, all in one slot)
-- KEYS[n + 1] the fencing counter shared by every lock in that slot
-- ARGV[1]     token of this acquisition (128 random bits)
-- ARGV[2]     ttl in milliseconds
-- ARGV[3]     owner label, for operators
-- Returns {1, fencing token} when taken,
--         {0, pttl of the holder, index of the held key} when a key is held by someone else.
local n = #KEYS - 1
local mine = 0
for i = 1, n do
  local holder = redis.call('HGET', KEYS[i], 't')
  if holder == ARGV[1] then
    mine = mine + 1
  elseif holder then
    return {0, redis.call('PTTL', KEYS[i]), i}
  elseif redis.call('EXISTS', KEYS[i]) == 1 then
    -- Never overwrite a key that is not one of our locks (a data key, another primitive).
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' exists and is not a lock held by this library')
  end
end
if mine == n then
  -- This very acquisition already ran: ioredis resends a command whose reply was lost to a
  -- reconnect. Report success with the fencing token issued the first time.
  for i = 1, n do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
  return {1, tonumber(redis.call('HGET', KEYS[1], 'f'))}
end
local fence, fenceText = issueFencingToken(KEYS[n + 1])
for i = 1, n do
  redis.call('HSET', KEYS[i], 't', ARGV[1], 'f', fenceText, 'o', ARGV[3])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return {1, fence}
`;

/** The acquire script's SHA1, for EVALSHA outside `defineCommand` (pipelines, health probes). @internal */
export const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE_SCRIPT).digest('hex');
