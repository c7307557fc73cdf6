import { RELEASE_MARK_LUA } from '../lua/release-mark.lua.js';

/**
 * Owner-checked release of one or more lock keys, waking each key's waiters. Idempotent for its
 * own token, as acquire is: a release resent after a reconnect finds the mark its first delivery
 * left (see release-mark.lua.ts) and reports success again.
 * @internal
 */
export function releaseScript(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `${RELEASE_MARK_LUA}
-- KEYS[1..n]  the lock hashes (all in one slot); each name is also that key's wakeup channel
-- KEYS[n + 1] the release mark of this token in that slot
-- ARGV[1]     the holder's token
-- ARGV[2]     '0' when the client never sends a command twice: no mark (release-mark.lua.ts)
-- Returns 1 when every key was released (now or by an earlier delivery of this release), 0 when
-- a key was gone (expired), -1 when another holder had a key. The keys that were still ours are
-- released either way.
local n = #KEYS - 1
local result, released, fence = 1, {}, nil
for i = 1, n do
  local lock = redis.call('HMGET', KEYS[i], 't', 'f')
  local holder = lock[1]
  if holder == ARGV[1] then
    redis.call('DEL', KEYS[i])
    released[#released + 1] = KEYS[i]
    fence = lock[2]
  elseif holder then
    result = -1
  elseif result == 1 then
    result = 0
  end
end
if #released == 0 then
  if result ~= 1 and releasedBefore(KEYS[n + 1]) then return 1 end
  return result
end
markReleased(KEYS[n + 1])
-- Announced after every write, and never allowed to fail the script (Lua is not rolled back):
-- without pub/sub permission (ACL) waiters fall back to polling. The channel has the key's
-- name, so it lives in the key's slot (sharded pub/sub on Cluster). The message, the released
-- lock's fencing token, identifies this release without revealing the token: with several
-- masters a waiter hears the same release from each of them and wakes once.
for i = 1, #released do redis.pcall('${publish}', released[i], fence) end
return result
`;
}
