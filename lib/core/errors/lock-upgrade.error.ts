import { RedisLockError } from './redis-lock.error.js';

/**
 * A write lock was asked for by code that holds a read lock on the same key in the same call
 * chain: an upgrade. It is not supported, because the write lock would wait for every reader to
 * leave, this one included, and two readers upgrading at once would wait for each other forever.
 *
 * Release the read lock, acquire the write lock, and read again under it: what was read may have
 * changed in between. Or take the write lock from the start when the code may need to write.
 * @publicApi
 */
export class LockUpgradeError extends RedisLockError {
  constructor(
    /** The read-write lock key, without the manager's `keyPrefix`. */
    readonly key: string,
  ) {
    super(
      `Cannot acquire write lock "${key}" while this call chain holds read lock "${key}": upgrading a read lock is not supported (the writer would wait for its own read lock). ` +
        'Release the read lock first and read again under the write lock, or take the write lock from the start.',
    );
  }
}
