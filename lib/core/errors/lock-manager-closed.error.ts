import { RedisLockError } from './redis-lock.error.js';

/**
 * The `LockManager` was closed: it takes no new locks and ends the waits still pending.
 * Create a new manager, or close it only when the application shuts down.
 * @publicApi
 */
export class LockManagerClosedError extends RedisLockError {
  constructor() {
    super(
      'This LockManager is closed and takes no new locks. Close it only at application shutdown, after the work that needs locks has finished.',
    );
  }
}
