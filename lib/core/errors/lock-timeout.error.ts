import { RedisLockError } from './redis-lock.error.js';

/**
 * The lock could not be acquired within `waitTimeout`.
 *
 * Usually another owner held it the whole time. When Redis itself failed (unreachable, paused),
 * `cause` holds the last error Redis returned and the message says so.
 * @publicApi
 */
export class LockTimeoutError extends RedisLockError {
  constructor(
    /** The lock key, without the manager's `keyPrefix`. */
    readonly key: string,
    /** How long the caller waited, in milliseconds. */
    readonly waitedMs: number,
    options?: { cause?: unknown },
  ) {
    const redisFailure =
      options?.cause !== undefined
        ? ` Redis did not answer the last attempt: ${describe(options.cause)}. Check that Redis is reachable.`
        : ` It is held by another owner: raise waitTimeout, use tryAcquire() to skip the work instead of waiting, or call inspect('${key}') to see who holds it.`;
    super(
      `Could not acquire lock "${key}" within ${Math.round(waitedMs)} ms.${redisFailure}`,
      options,
    );
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
