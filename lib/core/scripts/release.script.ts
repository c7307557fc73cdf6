/**
 * Owner-checked release of one or more lock keys, waking each key's waiters.
 * @internal
 */
export function releaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `
-- KEYS[1..n]  the lock hashes; each name is also that key's wakeup channel
-- ARGV[1]     the holder's token
-- Returns 1 when every key was released, 0 when a key was gone (expired), -1 when another
-- holder had a key. The keys that were still ours are released either way.
local result = 1
for i = 1, #KEYS do
  local holder = redis.call('HGET', KEYS[i], 't')
  if holder == ARGV[1] then
    redis.call('DEL', KEYS[i])
    -- The channel has the key's name, so it lives in the key's slot (sharded pub/sub on Cluster).
    -- The message identifies this release without revealing the token: with several masters a
    -- waiter hears the same release from each of them and wakes once.
    redis.call('${publish}', KEYS[i], string.sub(redis.sha1hex(ARGV[1]), 1, 16))
  elseif holder then
    result = -1
  elseif result == 1 then
    result = 0
  end
end
return result
`;
}
