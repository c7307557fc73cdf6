/**
 * Lua shared by the scripts that renew a batch of leases of one kind (semaphore permits, read
 * locks, write locks): the loop over the batch. Prepended to those scripts.
 * @internal
 */
export const EXTEND_EACH_LUA = `
-- Renews each lease of the batch. ARGV holds, per lease and in order, its token and its new ttl
-- in milliseconds; renew(i, token, ttl) renews lease i and returns 1 (renewed), 0 (it had
-- expired) or -1 (another holder has it). Returns one result per lease.
local function extendEach(renew)
  local results = {}
  for i = 1, #ARGV / 2 do
    results[i] = renew(i, ARGV[2 * i - 1], tonumber(ARGV[2 * i]))
  end
  return results
end
`;
