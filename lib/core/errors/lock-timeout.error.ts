import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import { describeLease } from '../util/describe-lease.util.js';
import { RedisLockError } from './redis-lock.error.js';

/**
 * The lock (or permit) could not be acquired within `waitTimeout`.
 *
 * Usually another owner held it the whole time. When Redis itself failed (unreachable, paused),
 * `cause` holds the last error Redis returned and the message says so.
 * @publicApi
 */
export class LockTimeoutError extends RedisLockError {
  /** What was waited for: a `lock`, a `read-lock` or `write-lock`, or a semaphore `permit`. */
  readonly kind: LeaseKind;

  constructor(
    /** The lock key, without the manager's `keyPrefix`. */
    readonly key: string,
    /** How long the caller waited, in milliseconds. */
    readonly waitedMs: number,
    options?: { cause?: unknown; kind?: LeaseKind },
  ) {
    const kind = options?.kind ?? 'lock';
    const redisFailure =
      options?.cause !== undefined
        ? ` Redis did not answer the last attempt: ${describe(options.cause)}. Check that Redis is reachable.`
        : kind === 'permit'
          ? ' Its permits are in use: raise waitTimeout or permits, or use tryAcquire() to skip the work instead of waiting.'
          : ` It is held by another owner: raise waitTimeout, use tryAcquire() to skip the work instead of waiting, or call inspect('${key}') to see who holds it.`;
    super(
      `Could not acquire ${describeLease(kind, key)} within ${Math.round(waitedMs)} ms.${redisFailure}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.kind = kind;
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
