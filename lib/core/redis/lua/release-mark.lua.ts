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
 *
 * Every release script takes the holder's token as ARGV[1] and {@link releaseMarkArg} as
 * ARGV[2]: a client that never sends a command twice (node-redis on one server or a Cluster
 * rejects a command whose connection failed) needs no mark, and the mark is the largest piece of
 * an uncontended release's time in Redis (a key written, then expired, per release).
 * @internal
 */
export const RELEASE_MARK_LUA = `
-- Marks the release of a token (the key is named by it, in the lock's slot).
local function markReleased(mark)
  if ARGV[2] ~= '0' then redis.call('SET', mark, 1, 'PX', ${RELEASE_MARK_MS}) end
end

-- Whether this very release already ran: the client resent it after a reconnect.
local function releasedBefore(mark)
  return ARGV[2] ~= '0' and redis.call('EXISTS', mark) == 1
end
`;

/**
 * ARGV[2] of every release script: '1' when the client may send the release again after a
 * failed connection (the mark is written), '0' when it never does.
 * @internal
 */
export function releaseMarkArg(connection: { readonly resendsUnanswered: boolean }): '0' | '1' {
  return connection.resendsUnanswered ? '1' : '0';
}
