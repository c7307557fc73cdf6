import { RedisLockError } from './redis-lock.error.js';

/**
 * The reason `lock.signal` carries after a normal `release()`: work still tied to the signal
 * should stop because the lock is no longer held. It is never thrown.
 * @publicApi
 */
export class LockReleasedError extends RedisLockError {
  constructor(
    /** The lock key, without the manager's `keyPrefix`. */
    readonly key: string,
  ) {
    super(`Lock "${key}" was released by its holder.`);
  }
}
