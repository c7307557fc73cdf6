import { RedisLockError } from './redis-lock.error.js';

/**
 * The caller's `AbortSignal` fired before the lock was acquired (or was already aborted when
 * `acquire()` was called). `cause` is the signal's reason. Nothing stays held in Redis.
 * @publicApi
 */
export class LockAbortedError extends RedisLockError {
  constructor(
    /** The lock key, without the manager's `keyPrefix`. */
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Acquiring lock "${key}" was aborted by the caller's AbortSignal; no lock is held.`,
      options,
    );
  }
}
