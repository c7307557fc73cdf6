import type { LeaseKind } from './interfaces/lease-kind.interface.js';
import type { LeaseLifecycle } from './lease/lease-lifecycle.js';
import { monotonicNow } from './util/clock.util.js';

/**
 * What a held lease needs from the manager that issued it.
 * @internal
 */
export interface LeaseHost {
  releaseLease(lease: LeaseLifecycle): Promise<void>;
  extendLease(lease: LeaseLifecycle, ttl: number | undefined): Promise<void>;
}

/**
 * What every held lease has in common: a `Lock`, a `ReadLock` or a semaphore `Permit`. It lives
 * in Redis for its `ttl` unless released or extended; keep it to the end of the work and release
 * it, or use `await using` so it is released on every path.
 *
 * @example
 * await using permit = await manager.semaphore('payments', { permits: 5 }).acquire();
 * await callPaymentProvider({ signal: permit.signal });
 * @publicApi
 */
export abstract class Lease implements AsyncDisposable {
  /**
   * The key, without the manager's `keyPrefix`. For a multi-key lock: its keys joined with
   * `" + "`, for logs and messages.
   */
  readonly key: string;
  /**
   * The owner token: 128 random bits that only this acquisition knows. Release and extend act
   * only when Redis still holds this token.
   */
  readonly token: string;
  /** What this lease is: `lock`, `read-lock`, `write-lock` or `permit`. */
  abstract readonly kind: LeaseKind;

  readonly #lease: LeaseLifecycle;
  readonly #host: LeaseHost;

  /** @internal */
  constructor(lease: LeaseLifecycle, host: LeaseHost) {
    this.key = lease.key;
    this.token = lease.token;
    this.#lease = lease;
    this.#host = host;
  }

  /**
   * The time, as epoch milliseconds, until which this holder may rely on the lease. It is
   * computed from a monotonic clock started before the acquire request was sent, minus a drift
   * margin, so it never claims more than Redis grants. It moves forward with each extension.
   * A fair lock handed to this caller by a release counts from the caller's last attempt for
   * `waiterTtl` (what Redis granted), until its confirmation, due a third of `waiterTtl` after
   * that attempt, extends it to the lock's ttl.
   */
  get validUntil(): number {
    return Date.now() + this.remainingTime;
  }

  /** Milliseconds left in the validity window; 0 once released or lost. */
  get remainingTime(): number {
    if (this.#lease.phase !== 'held') return 0;
    return Math.max(0, this.#lease.expiresAt - monotonicNow());
  }

  /** Whether the lease is held and within its validity window. */
  get isHeld(): boolean {
    return this.remainingTime > 0;
  }

  /** The time to live, in milliseconds, that renewals and `extend()` use. */
  get ttl(): number {
    return this.#lease.ttl;
  }

  /**
   * Aborted when the lease is lost (reason: `LockLostError`) or released (reason:
   * `LockReleasedError`). Pass it to the work the lease guards, or check `signal.aborted`
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
   * Restarts the lease's time to live at `ttl` milliseconds from now (default: the current ttl),
   * in one round trip, if this holder still holds it.
   * @throws LockLostError when it expired or another owner took it
   * @throws LockReleasedError after `release()`
   * @throws LockBackendError when Redis did not answer
   */
  extend(ttl?: number): Promise<void> {
    return this.#host.extendLease(this.#lease, ttl);
  }

  /**
   * Releases the lease in one round trip, only if this holder still holds it, and wakes the
   * next waiter. Calling it again after a successful release does nothing.
   * @throws LockLostError when it had already expired or been taken: nothing was deleted, and
   *   the work done under it may have overlapped with another holder
   * @throws LockBackendError when Redis did not confirm; the lease then expires by itself
   */
  release(): Promise<void> {
    return this.#host.releaseLease(this.#lease);
  }

  /** Releases the lease at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** Logs show the key and validity, never the owner token. */
  toJSON(): { key: string; kind: LeaseKind; validUntil: number } {
    return { key: this.key, kind: this.kind, validUntil: this.validUntil };
  }
}
