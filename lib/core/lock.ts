import type { LockLease } from './lock-lease.js';
import { monotonicNow } from './util/clock.util.js';

/**
 * What a `Lock` needs from the manager that issued it.
 * @internal
 */
export interface LockHost {
  releaseLease(lease: LockLease): Promise<void>;
  extendLease(lease: LockLease, ttl: number | undefined): Promise<void>;
}

/**
 * A held lock, returned by `LockManager.acquire()` and friends. Keep it to the end of the work
 * and release it, or use `await using` so it is released on every path:
 *
 * @example
 * await using lock = await manager.acquire(`order:${orderId}`);
 * await db.orders.update(orderId, change, { fencingToken: lock.fencingToken });
 * // released here, also when update() throws
 * @publicApi
 */
export class Lock implements AsyncDisposable {
  /**
   * The lock key, without the manager's `keyPrefix`. For a multi-key lock: its keys joined with
   * `" + "`, for logs and messages (use `keys` to work with them).
   */
  readonly key: string;
  /** Every key this lock holds, without the prefix, in the canonical (sorted) order. */
  readonly keys: readonly string[];
  /**
   * The owner token: 128 random bits that only this acquisition knows. Release and extend act
   * only when Redis still holds this token.
   */
  readonly token: string;
  /**
   * A number that is larger for every later holder of this key (across all processes): pass it
   * to the storage you write to and have it reject writes with a smaller token than it has seen,
   * so a holder that was paused past its ttl cannot overwrite newer work. Tokens are about the
   * server time in microseconds, below `Number.MAX_SAFE_INTEGER` until the year 2255.
   *
   * One number serves every key of a multi-key lock, on every topology: on a Cluster a lock
   * whose keys span slots, and with a Redlock quorum a lock granted by several masters, take the
   * largest token issued and raise the other counters to it before the lock is returned, so
   * every later holder of any of its keys gets a larger one.
   */
  readonly fencingToken: number;

  readonly #lease: LockLease;
  readonly #host: LockHost;

  /** @internal */
  constructor(lease: LockLease, host: LockHost) {
    this.key = lease.key;
    this.keys = lease.keys;
    this.token = lease.token;
    this.fencingToken = lease.fencingToken;
    this.#lease = lease;
    this.#host = host;
  }

  /**
   * The time, as epoch milliseconds, until which this holder may rely on the lock. It is
   * computed from a monotonic clock started before the acquire request was sent, minus a drift
   * margin, so it never claims more than Redis grants. It moves forward with each extension.
   */
  get validUntil(): number {
    return Date.now() + this.remainingTime;
  }

  /** Milliseconds left in the validity window; 0 once released or lost. */
  get remainingTime(): number {
    if (this.#lease.state !== 'held') return 0;
    return Math.max(0, this.#lease.expiresAt - monotonicNow());
  }

  /** Whether the lock is held and within its validity window. */
  get isHeld(): boolean {
    return this.remainingTime > 0;
  }

  /** The time to live, in milliseconds, that renewals and `extend()` use. */
  get ttl(): number {
    return this.#lease.ttl;
  }

  /**
   * Aborted when the lock is lost (reason: `LockLostError`) or released (reason:
   * `LockReleasedError`). Pass it to the work the lock guards, or check `signal.aborted`
   * between steps.
   *
   * @example
   * await manager.withLock('import:catalog', async (lock) => {
   *   for (const page of pages) {
   *     lock.signal.throwIfAborted();
   *     await importPage(page, { signal: lock.signal });
   *   }
   * });
   */
  get signal(): AbortSignal {
    return this.#lease.signal;
  }

  /**
   * Restarts the lock's time to live at `ttl` milliseconds from now (default: the current ttl),
   * in one round trip, if this holder still holds it.
   * @throws LockLostError when the lock expired or another owner took it
   * @throws LockReleasedError after `release()`
   * @throws LockBackendError when Redis did not answer
   */
  extend(ttl?: number): Promise<void> {
    return this.#host.extendLease(this.#lease, ttl);
  }

  /**
   * Releases the lock in one round trip, only if this holder still holds it, and wakes the
   * next waiter. Calling it again after a successful release does nothing.
   * @throws LockLostError when the lock had already expired or been taken: nothing was deleted,
   *   and the work done under it may have overlapped with another holder
   * @throws LockBackendError when Redis did not confirm; the lock then expires by itself
   */
  release(): Promise<void> {
    return this.#host.releaseLease(this.#lease);
  }

  /** Releases the lock at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** Logs show the key and fencing token, never the owner token. */
  toJSON(): { key: string; fencingToken: number; validUntil: number } {
    return { key: this.key, fencingToken: this.fencingToken, validUntil: this.validUntil };
  }
}
