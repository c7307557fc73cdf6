import type { RedisBackend } from './redis-backend.js';

/**
 * The keys of the read-write lock whose state hash is `state` (the name a plain lock of the same
 * key would have), all in its slot.
 * @internal
 */
export function readWriteKeys(
  backend: RedisBackend,
  state: string,
): { state: string; readers: string; queue: string; expiry: string } {
  return {
    state,
    readers: backend.auxKey(state, 'readers'),
    queue: backend.auxKey(state, 'writers'),
    expiry: backend.auxKey(state, 'writers-expiry'),
  };
}
