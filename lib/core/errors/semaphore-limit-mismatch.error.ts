import { RedisLockError } from './redis-lock.error.js';

/**
 * A semaphore was used with a number of permits that differs from the one its current holders
 * use in Redis. Two limits for one semaphore would make each caller enforce its own: the
 * acquire is refused instead. The limit is stored while the semaphore has holders, so it can
 * change once every holder has left.
 * @publicApi
 */
export class SemaphoreLimitMismatchError extends RedisLockError {
  constructor(
    /** The semaphore key, without the manager's `keyPrefix`. */
    readonly key: string,
    /** The `permits` this caller asked for. */
    readonly permits: number,
    /** The `permits` the current holders use. */
    readonly storedPermits: number,
  ) {
    super(
      `Semaphore "${key}" was used with permits: ${permits}, but its current holders use permits: ${storedPermits}. ` +
        'Give every caller the same limit (a shared constant or configuration value); to change it, deploy the new value everywhere: it takes effect once the holders with the old one have left.',
    );
  }
}
