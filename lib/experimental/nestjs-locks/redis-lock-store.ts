import type { LockClient } from '../../core/interfaces/lock-clients.interface.js';
import type { LockConnection } from '../../core/redis/connection/lock-connection.interface.js';
import { toLockConnection } from '../../core/redis/connection/to-lock-connection.js';
import { InvalidLockOptionsError } from '../../core/errors/invalid-lock-options.error.js';
import { LockBackendError } from '../../core/errors/lock-backend.error.js';
import { errorMessage } from '../../core/errors/redis-failure.js';
import { describeValue } from '../../core/options/describe-value.util.js';
import { assertKnownOptions, validateOptionsObject } from '../../core/options/validation.js';
import { createLockToken } from '../../core/util/token.util.js';
import { LuaScript } from '../redis/lua-script.js';
import type { LockAcquireResult, LockStore } from './lock-store.interface.js';
import type { RedisLockStoreOptions } from './redis-lock-store-options.interface.js';
import { STORE_ACQUIRE_SCRIPT } from './scripts/store-acquire.script.js';
import { STORE_RELEASE_SCRIPT } from './scripts/store-release.script.js';
import { STORE_RENEW_SCRIPT } from './scripts/store-renew.script.js';
import { StoreKeys } from './store-keys.js';
import { validateStoreString, validateStoreTtl } from './validate-store-input.js';

const acquireScript = new LuaScript<
  [lock: string, fence: string],
  [owner: string, ttl: string, request: string],
  number
>(STORE_ACQUIRE_SCRIPT);
const renewScript = new LuaScript<[lock: string], [owner: string, ttl: string], number>(
  STORE_RENEW_SCRIPT,
);
const releaseScript = new LuaScript<[lock: string], [owner: string], number>(STORE_RELEASE_SCRIPT);

const NOT_ACQUIRED: LockAcquireResult = Object.freeze({ acquired: false });

/**
 * **Experimental**: a Redis store for `@nestjs/locks` (the `LockStore` contract its
 * documentation describes). That package is not published on npm yet: this class follows its
 * documented contract and may change, within minor versions, to follow the package once it
 * ships. Exported from `nestjs-redis-lock/experimental` only.
 *
 * - One round trip per call, each a Lua script: `acquire()` checks, takes and draws the fencing
 *   token in one step, so of any number of concurrent callers (one process or many) exactly one
 *   wins; `renew()` and `release()` are compare-and-set on the owner.
 * - Expiry is Redis's (`PEXPIRE`, in milliseconds, up to weeks): every instance agrees on it
 *   whatever its own clock says.
 * - Fencing tokens grow with every acquisition of a key, across releases and expiries: one
 *   counter per Cluster slot, never below the server clock in microseconds, so they keep
 *   growing even if a restart without persistence loses the counter. Safe integers until the
 *   year 2255.
 * - Keys are any string (any Unicode, braces, `#`), kept apart exactly (`k` and `K` are two
 *   locks), on a single Redis, Sentinel or a Redis Cluster: each script touches one slot, so
 *   there is no CROSSSLOT, unlike a store with one global counter key.
 *
 * It never closes the client it is given.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { RedisLockStore } from 'nestjs-redis-lock/experimental';
 *
 * const store = new RedisLockStore(new Redis(process.env.REDIS_URL!));
 * const owner = crypto.randomUUID();
 * const result = await store.acquire('invoices:export', owner, 30_000);
 * if (result.acquired) {
 *   await exportInvoices({ fencingToken: result.fencingToken });
 *   await store.release('invoices:export', owner);
 * }
 * @experimental
 * @publicApi
 */
export class RedisLockStore implements LockStore {
  private readonly keys: StoreKeys;
  private readonly connection: LockConnection;

  /**
   * @param client a Redis client: ioredis or iovalkey `Redis` (standalone or Sentinel) or
   *   `Cluster`, or node-redis `createClient()`, `createCluster()` or `createSentinel()`
   * @param options `keyPrefix` (default `'nestjs-locks:'`)
   * @throws InvalidLockOptionsError for an invalid client or option
   */
  constructor(client: LockClient, options?: RedisLockStoreOptions) {
    const connection = toLockConnection(client);
    if (!connection) {
      throw new InvalidLockOptionsError(
        'client',
        `RedisLockStore needs a Redis client (ioredis or iovalkey Redis or Cluster, or node-redis createClient, createCluster or createSentinel), but received ${describeValue(client)}.`,
      );
    }
    this.connection = connection;
    const input = validateOptionsObject(options, 'RedisLockStore') as RedisLockStoreOptions;
    assertKnownOptions(input, ['keyPrefix'], 'RedisLockStore');
    const prefix = input.keyPrefix ?? 'nestjs-locks:';
    if (typeof prefix !== 'string') {
      throw new InvalidLockOptionsError(
        'keyPrefix',
        `RedisLockStore option keyPrefix must be a string, but received ${describeValue(prefix)}.`,
      );
    }
    this.keys = new StoreKeys(connection.keyPrefix, prefix);
  }

  /**
   * Takes `key` for `owner` for `ttl` ms if no live lock holds it, with a fencing token greater
   * than every token issued for `key` before. Resolves `{ acquired: false }` when a live lock
   * holds it, `owner`'s own included.
   * @throws InvalidLockOptionsError for an invalid key, owner or ttl (before any Redis call)
   * @throws LockBackendError when Redis fails or refuses
   */
  async acquire(key: string, owner: string, ttl: number): Promise<LockAcquireResult> {
    const lock = this.keys.lock(validateStoreString(key, 'key'));
    const args: [string, string, string] = [
      validateStoreString(owner, 'owner'),
      String(validateStoreTtl(ttl)),
      createLockToken(),
    ];
    let token: number;
    try {
      token = await acquireScript.run(this.connection, [lock, this.keys.fence(lock)], args);
    } catch (error) {
      throw this.failed(key, 'acquire', error);
    }
    return token > 0 ? { acquired: true, fencingToken: token } : NOT_ACQUIRED;
  }

  /**
   * Restarts `owner`'s live lock on `key` at `ttl` ms from now. Resolves `false`, changing
   * nothing, when `owner` holds no live lock there (it expired, or was released).
   * @throws InvalidLockOptionsError for an invalid key, owner or ttl (before any Redis call)
   * @throws LockBackendError when Redis fails or refuses
   */
  async renew(key: string, owner: string, ttl: number): Promise<boolean> {
    const lock = this.keys.lock(validateStoreString(key, 'key'));
    const args: [string, string] = [
      validateStoreString(owner, 'owner'),
      String(validateStoreTtl(ttl)),
    ];
    try {
      return (await renewScript.run(this.connection, [lock], args)) === 1;
    } catch (error) {
      throw this.failed(key, 'extend', error);
    }
  }

  /**
   * Frees `owner`'s live lock on `key`, so another caller can take it at once. Resolves `false`,
   * changing nothing, when `owner` holds no live lock there. The key's fencing tokens keep
   * growing.
   * @throws InvalidLockOptionsError for an invalid key or owner (before any Redis call)
   * @throws LockBackendError when Redis fails or refuses
   */
  async release(key: string, owner: string): Promise<boolean> {
    const lock = this.keys.lock(validateStoreString(key, 'key'));
    const args: [string] = [validateStoreString(owner, 'owner')];
    try {
      return (await releaseScript.run(this.connection, [lock], args)) === 1;
    } catch (error) {
      throw this.failed(key, 'release', error);
    }
  }

  private failed(
    key: string,
    operation: 'acquire' | 'extend' | 'release',
    error: unknown,
  ): LockBackendError {
    const verb = { acquire: 'acquire', extend: 'renew', release: 'release' }[operation];
    return new LockBackendError(
      key,
      operation,
      `Redis did not ${verb} lock ${JSON.stringify(key.slice(0, 100))} of the lock store (${errorMessage(error)}).`,
      { cause: error },
    );
  }
}
