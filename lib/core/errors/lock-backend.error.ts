import { RedisLockError } from './redis-lock.error.js';

/**
 * Redis failed or did not answer in time, so the outcome of a lock operation is unknown.
 *
 * `cause` is the error ioredis reported. After a failed `release()`, the lock expires by itself
 * at its `validUntil` at the latest.
 * @publicApi
 */
export class LockBackendError extends RedisLockError {
  constructor(
    /** The lock key, without the manager's `keyPrefix` (for `list`: the pattern). */
    readonly key: string,
    /** The operation that failed. */
    readonly operation: 'acquire' | 'release' | 'extend' | 'inspect' | 'forceRelease' | 'list',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
