import { Lease, type LeaseHost } from './lease.js';
import type { LeaseLifecycle } from './lease/lease-lifecycle.js';

/**
 * The read side of a read-write lock, returned by `ReadWriteLock.read()`: any number of readers
 * hold it at once, and no writer while they do. Each reader has its own expiry in Redis
 * (server time), so a reader that dies frees its place after its `ttl`.
 *
 * A read lock has no fencing token (readers do not write). It cannot be upgraded to a write
 * lock: release it and acquire `write()`, then read again.
 *
 * @example
 * await using read = await report.read();
 * return renderReport(await loadReport(id));
 * @publicApi
 */
export class ReadLock extends Lease {
  readonly kind = 'read-lock' as const;

  /** @internal */
  static create(lease: LeaseLifecycle, host: LeaseHost): ReadLock {
    return new ReadLock(lease, host);
  }

  // Private: only a read-write lock hands out read locks (ReadWriteLock.read() and friends).
  private constructor(lease: LeaseLifecycle, host: LeaseHost) {
    super(lease, host);
  }
}
