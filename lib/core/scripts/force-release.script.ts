/**
 * Operator release: deletes whoever holds the lock, and wakes the waiters.
 * @internal
 */
export function forceReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `
-- KEYS[1]  the lock hash
-- Returns 1 when a holder was removed, 0 when the lock was free.
if not redis.call('HGET', KEYS[1], 't') then return 0 end
redis.call('DEL', KEYS[1])
redis.call('${publish}', KEYS[1], 'released')
return 1
`;
}
