/**
 * Reads a lock's state in one round trip.
 * @internal
 */
export const INSPECT_SCRIPT = `
-- KEYS[1]  the lock hash
-- Returns {1, pttl, fencing token, owner} when held, {0} when free.
local lock = redis.call('HMGET', KEYS[1], 't', 'f', 'o')
if not lock[1] then return {0} end
return {1, redis.call('PTTL', KEYS[1]), lock[2], lock[3] or ''}
`;
