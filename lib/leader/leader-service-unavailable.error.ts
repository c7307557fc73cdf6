import { RedisLockError } from '../core/errors/redis-lock.error.js';

/**
 * A `@LeaderOnly` method was called where no `LeaderService` can be found: `RedisLockModule`
 * was not imported, or the object was not created by Nest. The method was NOT run: it never
 * runs without knowing this instance leads.
 * @publicApi
 */
export class LeaderServiceUnavailableError extends RedisLockError {
  constructor(
    /** `Class.method()` that was called. */
    readonly method: string,
  ) {
    super(
      `@LeaderOnly on ${method} found no LeaderService, so the method was not run. ` +
        'Import RedisLockModule.forRoot({ ... }) in your root module (it is global by default); ' +
        'for an object created with `new`, call it through a provider Nest created instead.',
    );
  }
}
