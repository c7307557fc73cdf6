import { RedisLockError } from '../core/errors/redis-lock.error.js';

/**
 * A `@DistributedLock` (or `@DistributedSemaphore`) method was called where no `RedisLockService` can be found: the module
 * was not imported, or the object was not created by Nest. The method was NOT run: it never
 * runs without its lock.
 * @publicApi
 */
export class LockServiceUnavailableError extends RedisLockError {
  constructor(
    /** `Class.method()` that was called. */
    readonly method: string,
    /** The decorator on it: `@DistributedLock` or `@DistributedSemaphore`. */
    decorator = '@DistributedLock',
  ) {
    super(
      `${decorator} on ${method} found no RedisLockService, so the method was not run. ` +
        'Import RedisLockModule.forRoot({ ... }) in your root module (it is global by default), or import the module where this class is provided; ' +
        'for an object created with `new`, call it through a provider Nest created instead.',
    );
  }
}
