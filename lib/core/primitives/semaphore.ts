import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import type { SemaphoreAcquireOptions } from '../interfaces/semaphore-acquire-options.interface.js';
import type { SemaphoreOptions } from '../interfaces/semaphore-options.interface.js';
import type { AcquireRequest } from '../acquire/acquire-request.js';
import { describeValue } from '../options/describe-value.util.js';
import {
  assertKnownOptions,
  MAX_PERMITS,
  validateCount,
  validateKey,
  validateOptionsObject,
} from '../options/validation.js';
import type { Permit } from '../permit.js';
import type { PrimitiveHost } from './primitive-host.interface.js';
import { runHolding } from './run-holding.util.js';

/** The options a semaphore takes, checked against the type. */
const SEMAPHORE_OPTIONS = ['permits'] as const satisfies ReadonlyArray<keyof SemaphoreOptions>;
/** What `acquire()` adds to the options of every lease. */
const PERMIT_OPTIONS = ['weight'] as const satisfies ReadonlyArray<keyof SemaphoreAcquireOptions>;

/**
 * A distributed semaphore, from `LockManager.semaphore(key, { permits })`: at most `permits`
 * holders at once (counting each holder's `weight`), across every process using the key.
 *
 * - One round trip to take a free permit, one to release, one to renew.
 * - Each permit expires on its own, by the Redis server's clock: a holder that crashes frees
 *   its permits after their ttl; clients with skewed clocks still agree.
 * - `withPermit()` and `autoExtend` renew the permits while the work runs; if a renewal fails,
 *   `permit.signal` aborts with a `LockLostError`.
 * - Callers that wait queue in Redis and are served in arrival order: a release hands the freed
 *   permits straight to the first waiters, as many as fit, each told by name on its own
 *   manager's channel (no other manager wakes, and the waiter needs no round trip to take them).
 *   A first waiter heavier than the permits free is not skipped: the ones behind it wait too.
 * - Permits handed to a waiter last until its place in the queue ends (the manager's
 *   `waiterTtl`) until the waiter confirms them, so a waiter that died costs the others at most
 *   that long; a waiter that gives up leaves the queue at once and gives back permits handed to
 *   it meanwhile. Waiters also look again when the earliest permit would expire (a crashed
 *   holder's) and about every `waiterTtl`/3 to keep their place.
 * - Permits have no fencing token.
 *
 * @example
 * const exports = manager.semaphore('exports', { permits: 2 });
 * const file = await exports.withPermit((permit) => buildExport(query, { signal: permit.signal }));
 * @publicApi
 */
export class Semaphore {
  /** The semaphore key, without the manager's `keyPrefix`. */
  readonly key: string;
  /** How many permits the semaphore has. */
  readonly permits: number;

  readonly #host: PrimitiveHost;

  /** @internal */
  static create(host: PrimitiveHost, key: string, options: SemaphoreOptions): Semaphore {
    return new Semaphore(host, key, options);
  }

  // Private: a semaphore comes from LockManager.semaphore().
  private constructor(host: PrimitiveHost, key: string, options: SemaphoreOptions) {
    this.key = validateKey(key, host.options.maxKeyLength);
    const checked = validateOptionsObject(options, 'semaphore') as Partial<SemaphoreOptions>;
    assertKnownOptions(checked, SEMAPHORE_OPTIONS, 'semaphore');
    this.permits = validateCount(checked.permits, 'permits', MAX_PERMITS, () =>
      options === undefined
        ? 'manager.semaphore(key, { permits: 5 }) needs the number of permits.'
        : 'It is how many holders may hold the semaphore at once.',
    );
    host.assertSupported('semaphore', this.key);
    this.#host = host;
  }

  /**
   * Takes `weight` permits (default 1), waiting up to `waitTimeout` for them to be free: in the
   * semaphore's queue, behind the callers already waiting, until a release hands them over.
   * @throws LockTimeoutError (`kind: 'permit'`) when too few are free after `waitTimeout`
   * @throws LockAbortedError when `options.signal` aborts first
   * @throws SemaphoreLimitMismatchError when the current holders use another `permits`
   * @throws InvalidLockOptionsError for an invalid option (before any Redis call)
   * @example
   * await using permit = await payments.acquire({ waitTimeout: 5_000 });
   * await provider.charge(order);
   */
  async acquire(options?: SemaphoreAcquireOptions): Promise<Permit> {
    return this.#host.take(this.request(options, 'acquire'), 'acquire');
  }

  /**
   * Like `acquire()`, but returns `null` instead of throwing when too few permits are free.
   * Makes a single attempt unless `waitTimeout` is given. A single attempt takes free permits
   * only when nobody waits in the semaphore's queue (it never gets in ahead of waiters, and never
   * takes a place among them); with `waitTimeout` it queues as `acquire()` does.
   * @example
   * const permit = await exports.tryAcquire();
   * if (!permit) return reply.status(429).send('Too many exports running, try again later');
   */
  async tryAcquire(options?: SemaphoreAcquireOptions): Promise<Permit | null> {
    return this.#host.take(this.request(options, 'try'), 'try');
  }

  /**
   * Takes the permits, runs `fn` while renewing them (about every ttl/3), and releases them when
   * `fn` settles. Returns what `fn` returns. If `fn` succeeds but the permits were lost
   * meanwhile, `LockLostError` is thrown instead: the work ran without its permits for a while.
   * A release that Redis does not confirm keeps the result (see `LockManager.withLock`).
   * @example
   * const receipt = await payments.withPermit(() => provider.charge(order), { waitTimeout: 2_000 });
   */
  async withPermit<T>(
    fn: (permit: Permit) => T | Promise<T>,
    options?: SemaphoreAcquireOptions,
  ): Promise<T> {
    if (typeof fn !== 'function') {
      throw new InvalidLockOptionsError(
        'fn',
        `withPermit() needs the work to run as its first argument, a function, but received ${describeValue(fn)}.`,
      );
    }
    const permit = await this.#host.take(this.request(options, 'acquire', true), 'acquire');
    return runHolding(permit, fn);
  }

  private request(
    options: SemaphoreAcquireOptions | undefined,
    mode: 'acquire' | 'try',
    /** withPermit: renew while the work runs, unless autoExtend says otherwise. */
    renew = false,
  ): AcquireRequest<'permit'> {
    const weight =
      options?.weight === undefined
        ? 1
        : validateCount(options.weight, 'weight', this.permits, () =>
            options.weight! > this.permits
              ? `Semaphore "${this.key}" has ${this.permits} permits: a holder asking for more would wait forever.`
              : 'It is how many permits this holder takes at once.',
          );
    const request = this.#host.request('permit', this.key, options, mode, PERMIT_OPTIONS, {
      weight,
      limit: this.permits,
    });
    return renew && options?.autoExtend === undefined ? { ...request, autoExtend: true } : request;
  }
}
