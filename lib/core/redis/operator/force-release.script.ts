/**
 * Operator release: deletes whoever holds the lock (or only the holder with a given fencing
 * token), and wakes the waiters.
 * @internal
 */
export function forceReleaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `
-- KEYS[1]  the lock hash
-- ARGV[1]  optional: the fencing token of the holder to remove; another holder is left alone
-- Returns 1 when a holder was removed, 0 when the lock was free, -1 when another holder has it.
local holder = redis.call('HMGET', KEYS[1], 't', 'f')
if not holder[1] then return 0 end
if ARGV[1] and ARGV[1] ~= '' and holder[2] ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
redis.pcall('${publish}', KEYS[1], 'released')
return 1
`;
}
