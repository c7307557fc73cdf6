import { RedisLockError } from '../core/errors/redis-lock.error.js';
import type { LockHealth } from '../core/interfaces/lock-health.interface.js';

/**
 * With `failFast`, Redis did not answer at bootstrap within the wait: the application does not
 * start. `health` says what each server answered (the same as `LockManager.checkHealth()`).
 * @publicApi
 */
export class RedisUnreachableError extends RedisLockError {
  constructor(
    /** How long bootstrap waited, in milliseconds. */
    readonly timeout: number,
    /** The last check: which servers did not answer, and why. */
    readonly health: LockHealth,
    /** The last error a connection reported meanwhile (`cause`), when there was one. */
    connectionError?: Error,
  ) {
    super(
      `RedisLockModule could not reach Redis within ${timeout} ms at bootstrap (failFast): ${health.error ?? 'it did not answer.'}` +
        (connectionError ? ` The connection reported: ${connectionError.message}.` : '') +
        ' Check the connection options (url, redis, cluster, client) and that Redis runs, raise failFast.timeout if it only starts slowly, or leave failFast off to boot without Redis (locks then fail with 503 until it answers).',
      connectionError === undefined ? undefined : { cause: connectionError },
    );
  }
}
