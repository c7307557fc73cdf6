import { Lease, type LeaseHost } from './lease.js';
import type { LeaseLifecycle } from './lease/lease-lifecycle.js';

/**
 * Permits held on a semaphore, returned by `Semaphore.acquire()` and friends. Each permit has
 * its own expiry in Redis (server time): if this process dies, its permits come back to the
 * semaphore once its `ttl` has passed.
 *
 * A permit has no fencing token: a semaphore lets several holders in at once by design, so a
 * number that grows with each grant could not tell a stale holder from a legitimate one. Guard
 * a resource that must have one writer at a time with a lock.
 *
 * @example
 * const permit = await payments.acquire({ waitTimeout: 2_000 });
 * try {
 *   await provider.charge(order, { signal: permit.signal });
 * } finally {
 *   await permit.release();
 * }
 * @publicApi
 */
export class Permit extends Lease {
  readonly kind = 'permit' as const;
  /** How many of the semaphore's permits this holder has (its `weight`). */
  readonly weight: number;
  /** The semaphore's limit: how many permits all holders may have together. */
  readonly permits: number;

  /** @internal */
  static create(lease: LeaseLifecycle, host: LeaseHost): Permit {
    return new Permit(lease, host);
  }

  // Private: only a semaphore hands out permits (Semaphore.acquire() and friends).
  private constructor(lease: LeaseLifecycle, host: LeaseHost) {
    super(lease, host);
    this.weight = lease.params?.weight ?? 1;
    this.permits = lease.params?.limit ?? 0;
  }
}
