import { RedisLockError } from './redis-lock.error.js';

/**
 * A semaphore, a read-write lock or a fair lock was asked of a manager that runs on a Redlock
 * quorum of independent masters. They need one place that counts holders or orders waiters;
 * over a quorum each master would count and order on its own:
 *
 * - a semaphore with N permits could admit more than N holders (each granted by a different
 *   majority, and each master counting only the holders it saw);
 * - a fair lock's masters would each have their own queue order;
 * - a read-write lock's writer queue would diverge the same way.
 *
 * Use a single Redis, Sentinel or a Cluster for these primitives (a second `LockManager` on one
 * of them is fine), and keep the quorum for plain locks.
 * @publicApi
 */
export class UnsupportedPrimitiveError extends RedisLockError {
  constructor(
    /** The primitive that was asked for. */
    readonly primitive: 'semaphore' | 'read-write lock' | 'fair lock',
    /** The key it was asked for, without the manager's `keyPrefix`. */
    readonly key: string,
  ) {
    super(
      `A ${primitive} ("${key}") is not available on a Redlock quorum of independent masters: ` +
        (primitive === 'semaphore'
          ? 'each master counts holders on its own, so different majorities could admit more holders than there are permits. '
          : 'each master would keep its own waiting order, so there would be no single order to follow. ') +
        'Create a LockManager on a single Redis, Sentinel or a Cluster for it, and keep the quorum for plain locks.',
    );
  }
}
