/**
 * How long a release leaves its mark, in milliseconds. A release that ioredis resends after a
 * reconnect (its first reply lost) finds the lock already gone; the mark, a key named by the
 * released token in the lock's slot, tells it that its own first delivery released the lock, so
 * it reports success instead of a false "lost". Long enough for ioredis to reconnect after a
 * network blip (its default retry waits 50 ms to 2 s); short enough that marks do not pile up.
 * @internal
 */
export const RELEASE_MARK_MS = 3_000;

/**
 * Lua shared by every release script: leaves the mark, and recognises it. Prepended to them.
 * @internal
 */
export const RELEASE_MARK_LUA = `
-- Marks the release of a token (the key is named by it, in the lock's slot).
local function markReleased(mark)
  redis.call('SET', mark, 1, 'PX', ${RELEASE_MARK_MS})
end

-- Whether this very release already ran: ioredis resent it after a reconnect.
local function releasedBefore(mark)
  return redis.call('EXISTS', mark) == 1
end
`;
