/**
 * Restarts a lock's ttl if its owner still holds it.
 * @internal
 */
export const STORE_RENEW_SCRIPT = `
-- KEYS[1] the lock; ARGV[1] owner; ARGV[2] ttl in ms
-- Returns 1 when renewed, 0 when the owner holds no live lock there (an expired lock is gone:
-- Redis never shows it, so it cannot come back).
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;
