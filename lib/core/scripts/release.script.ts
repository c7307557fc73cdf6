/**
 * Owner-checked release that wakes the waiters.
 * @internal
 */
export function releaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `
-- KEYS[1]  the lock hash; its name is also the wakeup channel
-- ARGV[1]  the holder's token
-- Returns 1 when released, 0 when the key is gone (expired), -1 when another holder has it.
local holder = redis.call('HGET', KEYS[1], 't')
if holder == ARGV[1] then
  redis.call('DEL', KEYS[1])
  -- The channel has the key's name, so it lives in the key's slot (sharded pub/sub on Cluster).
  redis.call('${publish}', KEYS[1], 'released')
  return 1
end
-- Not ours any more: delete nothing, tell the caller why.
if holder then return -1 end
return 0
`;
}
