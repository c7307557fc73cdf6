import type { LockBackend } from '../backend/lock-backend.interface.js';
import type { RedisFailure } from '../errors/redis-failure.js';
import type { HeldLockInfo } from '../interfaces/lock-info.interface.js';
import { RESERVED_KEY_START } from '../options/validation.js';
import { escapeGlob } from '../util/escape-glob.util.js';

/**
 * The locks held under `keyPrefix` whose keys match `match`, page by page: SCAN, then one read
 * per page of what each key holds (see `LockManager.list()`).
 * @internal
 */
export async function* listHeld(
  backend: Pick<LockBackend, 'scan' | 'inspect'>,
  failures: RedisFailure,
  keyPrefix: string,
  match: string,
  count: number,
): AsyncIterableIterator<HeldLockInfo> {
  const reserved = keyPrefix + RESERVED_KEY_START;
  // SCAN may return a key twice (while Redis resizes its table); a listing names it once.
  const seen = new Set<string>();
  try {
    for await (const names of backend.scan(escapeGlob(keyPrefix) + match, count)) {
      const fresh = names.filter(
        (name) => name.startsWith(keyPrefix) && !name.startsWith(reserved) && !seen.has(name),
      );
      for (const name of fresh) seen.add(name);
      // Sent together: one round trip per page on a single server.
      const infos = await Promise.all(fresh.map((name) => backend.inspect(name)));
      for (let i = 0; i < fresh.length; i++) {
        const info = infos[i]!;
        // Released since the SCAN, or a hash that is not a lock of this library.
        if (!info.held) continue;
        yield {
          key: fresh[i]!.slice(keyPrefix.length),
          held: true,
          ttl: info.ttl,
          fencingToken: info.fencingToken,
          owner: info.owner,
        };
      }
    }
  } catch (error) {
    throw failures.backendError(match, 'list', error);
  }
}
