/**
 * Deletes a lock if its owner still holds it. The slot's fencing counter stays.
 * @internal
 */
export const STORE_RELEASE_SCRIPT = `
-- KEYS[1] the lock; ARGV[1] owner
-- Returns 1 when released, 0 when the owner holds no live lock there.
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;
