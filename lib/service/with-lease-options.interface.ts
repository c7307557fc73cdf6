import type { AcquireOptions } from '../core/interfaces/acquire-options.interface.js';
import type { ReadWriteAcquireOptions } from '../core/interfaces/read-write-acquire-options.interface.js';
import type { SemaphoreAcquireOptions } from '../core/interfaces/semaphore-acquire-options.interface.js';
import type { SemaphoreOptions } from '../core/interfaces/semaphore-options.interface.js';

/**
 * What a `with*` call does when its lock was lost while `fn` ran and `fn` then returned.
 * @publicApi
 */
export interface OnLostOption {
  /**
   * `'throw'`: discard `fn`'s result and reject with the `LockLostError` (the work ran without
   * exclusion for a while); `'ignore'`: return the result (the loss is logged). The lease's
   * `signal` aborts the moment the loss is known either way. The same contract as
   * `@DistributedLock`'s `onLost`; a re-entered lock leaves the loss to its holder.
   * @default the module's `onLost` ('throw')
   */
  onLost?: 'throw' | 'ignore';
}

/**
 * Options of `RedisLockService.withLock()`: the engine's acquire options, plus re-entrancy.
 * @publicApi
 */
export interface WithLockOptions extends AcquireOptions, OnLostOption {
  /**
   * Renew the lease while `fn` runs, so it may run longer than its ttl.
   * @default the module's `autoExtend` when it is set, else true
   */
  autoExtend?: boolean;
  /**
   * Enter a lock this async call chain already holds instead of waiting for itself.
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}

/**
 * Options of `RedisLockService.withPermit()`: the semaphore's limit, the engine's acquire
 * options of a permit, and re-entrancy.
 * @publicApi
 */
export interface WithPermitOptions extends SemaphoreAcquireOptions, SemaphoreOptions, OnLostOption {
  /**
   * Renew the lease while `fn` runs, so it may run longer than its ttl.
   * @default the module's `autoExtend` when it is set, else true
   */
  autoExtend?: boolean;
  /**
   * Enter a permit of this semaphore that the async call chain already holds instead of taking
   * another one (with `permits: 1`, taking another would wait for itself).
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}

/**
 * Options of `RedisLockService.withReadLock()` and `withWriteLock()`.
 * @publicApi
 */
export interface WithReadWriteLockOptions extends ReadWriteAcquireOptions, OnLostOption {
  /**
   * Renew the lease while `fn` runs, so it may run longer than its ttl.
   * @default the module's `autoExtend` when it is set, else true
   */
  autoExtend?: boolean;
  /**
   * Enter the lock when the async call chain already holds it: a read inside a read or a write,
   * a write inside a write. (A write inside a read is an upgrade: `LockUpgradeError`.)
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}
