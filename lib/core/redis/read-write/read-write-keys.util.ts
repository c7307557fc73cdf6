import type { RedisKeyspace } from '../redis-keyspace.js';

/**
 * The keys of the read-write lock whose state hash is `state` (the name a plain lock of the same
 * key would have), all in its slot.
 * @internal
 */
export function readWriteKeys(
  keyspace: RedisKeyspace,
  state: string,
): { state: string; readers: string; queue: string; expiry: string } {
  const [queue, expiry] = keyspace.waitQueue(state, 'writers');
  return { state, readers: keyspace.auxKey(state, 'readers'), queue, expiry };
}
