import { Lease, type LeaseHost } from './lease.js';
import type { LeaseLifecycle } from './lease/lease-lifecycle.js';

/**
 * A held lock, returned by `LockManager.acquire()` and friends (and by
 * `ReadWriteLock.write()`, with `kind` `'write-lock'`). Keep it to the end of the work and
 * release it, or use `await using` so it is released on every path:
 *
 * @example
 * await using lock = await manager.acquire(`order:${orderId}`);
 * await db.orders.update(orderId, change, { fencingToken: lock.fencingToken });
 * // released here, also when update() throws
 * @publicApi
 */
export class Lock extends Lease {
  /** `lock` for a mutex (fair or not), `write-lock` for the write side of a read-write lock. */
  readonly kind: 'lock' | 'write-lock';
  /** Every key this lock holds, without the prefix, in the canonical (sorted) order. */
  readonly keys: readonly string[];
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

  /** @internal */
  static create(lease: LeaseLifecycle, host: LeaseHost): Lock {
    return new Lock(lease, host);
  }

  // Private: only a manager hands out locks (LockManager.acquire() and friends).
  private constructor(lease: LeaseLifecycle, host: LeaseHost) {
    super(lease, host);
    this.kind = lease.kind === 'write-lock' ? 'write-lock' : 'lock';
    this.keys = lease.keys;
    this.fencingToken = lease.fencingToken;
  }

  /** Logs show the key and fencing token, never the owner token. */
  override toJSON(): {
    key: string;
    kind: 'lock' | 'write-lock';
    fencingToken: number;
    validUntil: number;
  } {
    return {
      key: this.key,
      kind: this.kind,
      fencingToken: this.fencingToken,
      validUntil: this.validUntil,
    };
  }
}
