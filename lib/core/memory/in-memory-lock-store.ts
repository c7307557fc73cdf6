import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import { describeValue } from '../options/describe-value.util.js';
import { LOCK_MANAGER_DEFAULTS } from '../options/resolve-manager-options.js';
import { validateKey, validateTtl } from '../options/validation.js';
import { createLockToken } from '../util/token.util.js';
import { keyspaceOf } from './memory-keyspace.js';
import { MemoryPlainDriver } from './plain/memory-plain-driver.js';

/**
 * How `InMemoryLockStore.hold()` holds a key.
 * @publicApi
 */
export interface HoldKeyOptions {
  /**
   * How long the key is held, in milliseconds; by default until `release()` (as a key held by a
   * process that never renews nor dies would be).
   */
  readonly ttl?: number;
  /** The `keyPrefix` of the managers that should see the key held. Default `'lock:'`. */
  readonly keyPrefix?: string;
  /** The holder's owner label, as `inspect()` and `list()` show it. Default `'test'`. */
  readonly owner?: string;
}

/**
 * A key held from outside the managers, by `InMemoryLockStore.hold()`.
 * @publicApi
 */
export interface HeldKey {
  /** The fencing token of the hold: the next holder of the key gets a larger one. */
  readonly fencingToken: number;
  /**
   * Gives the key back, waking its waiters, as a holder's release would. Returns whether it
   * was still held by this hold (false once it expired or was force-released).
   */
  release(): boolean;
}

const HOLD_OPTIONS = ['ttl', 'keyPrefix', 'owner'] as const satisfies ReadonlyArray<
  keyof HoldKeyOptions
>;

/**
 * Locks kept in this process's memory, with the semantics of the Redis scripts (owner checks,
 * ttl, fencing tokens, fair queues, semaphores, read-write locks and release announcements), for
 * tests of applications that should not need a Redis. Nothing leaves the process: two processes
 * (or two test workers) sharing "a lock" do not exclude each other.
 *
 * Give the same store to several `LockManager`s (or `RedisLockModule.forRoot({ inMemory: store })`)
 * to have them see the same locks, as instances sharing one Redis would.
 *
 * Time is the engine's monotonic clock (`performance.now()`), both for lock expiry here and for
 * the validity the managers compute: Jest's fake timers (which fake `performance` unless told
 * not to) move both together, so `jest.advanceTimersByTime(ttl)` expires a lock.
 * @example
 * const store = new InMemoryLockStore();
 * const a = new LockManager(store);
 * const b = new LockManager(store);
 * await a.acquire('job');
 * await b.tryAcquire('job'); // null: held by a
 * @publicApi
 */
export class InMemoryLockStore {
  /** The store `RedisLockModule.forRoot({ inMemory: true })` uses: one per module registry. */
  static readonly shared = new InMemoryLockStore();

  /** Number of keys held (expired ones excluded): lets tests check nothing is left behind. */
  get size(): number {
    return keyspaceOf(this).size();
  }

  /** Forgets every lock, queue and permit (for a fresh start between tests). */
  clear(): void {
    keyspaceOf(this).clear();
  }

  /**
   * Holds `key` as another process would (a plain lock, with its own token), so a test can
   * check what the code under test does while the key is taken: `tryAcquire()` gets `null`,
   * `acquire()` waits, a decorated method is skipped or refused.
   *
   * @throws InvalidLockOptionsError for an invalid key or option, or a key already held (the
   *   test's set-up is wrong)
   * @example
   * const store = new InMemoryLockStore();
   * const held = store.hold('job:nightly', { ttl: 5_000 });
   * expect(await new LockManager(store).tryAcquire('job:nightly')).toBeNull();
   * held.release();
   */
  hold(key: string, options?: HoldKeyOptions): HeldKey {
    const { ttl, keyPrefix, owner } = resolveHoldOptions(key, options);
    const plain = new MemoryPlainDriver(keyspaceOf(this));
    const redisKey = keyPrefix + key;
    const token = createLockToken();
    const reply = plain.takeNow([redisKey], token, ttl, owner);
    if (!reply.acquired) {
      throw new InvalidLockOptionsError(
        'key',
        `InMemoryLockStore.hold(): "${key}" is already held; release the earlier hold (or the lock) first.`,
      );
    }
    let released = false;
    return {
      fencingToken: reply.fencingToken,
      release: () => {
        // Once only: the release mark would make a second release look successful.
        if (released) return false;
        released = true;
        return plain.releaseNow([redisKey], token) === 'ok';
      },
    };
  }
}

function resolveHoldOptions(
  key: string,
  options: HoldKeyOptions | undefined,
): { ttl: number; keyPrefix: string; owner: string } {
  validateKey(key, Infinity);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidLockOptionsError(
      'options',
      `hold() options must be an object such as { ttl: 5_000 }, but received ${describeValue(options)}.`,
    );
  }
  for (const name of Object.keys(options ?? {})) {
    if (!(HOLD_OPTIONS as readonly string[]).includes(name)) {
      throw new InvalidLockOptionsError(
        name,
        `Unknown hold() option "${name}"; the options are ${HOLD_OPTIONS.join(', ')}.`,
      );
    }
  }
  const keyPrefix = options?.keyPrefix ?? LOCK_MANAGER_DEFAULTS.keyPrefix;
  if (typeof keyPrefix !== 'string') {
    throw new InvalidLockOptionsError(
      'keyPrefix',
      `keyPrefix must be the managers' keyPrefix, a string, but received ${describeValue(keyPrefix)}.`,
    );
  }
  const owner = options?.owner ?? 'test';
  if (typeof owner !== 'string') {
    throw new InvalidLockOptionsError(
      'owner',
      `owner must be a string, but received ${describeValue(owner)}.`,
    );
  }
  const ttl = options?.ttl === undefined ? Infinity : validateTtl(options.ttl);
  return { ttl, keyPrefix, owner };
}
