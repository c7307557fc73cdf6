import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import { describeLease } from '../util/describe-lease.util.js';
import { RedisLockError } from './redis-lock.error.js';

/**
 * Why an acquire gave up:
 *
 * - `held`: another holder had the lock (or the permits) the whole time: contention.
 * - `unavailable`: the last attempt failed in Redis (unreachable, paused, a quorum without a
 *   majority, too few replicas): an outage, not contention. `cause` holds that failure.
 * @publicApi
 */
export type LockTimeoutReason = 'held' | 'unavailable';

/**
 * The lock (or permit) could not be acquired within `waitTimeout`.
 *
 * Usually another owner held it the whole time (`reason: 'held'`). When Redis itself failed
 * (unreachable, paused), `reason` is `'unavailable'`, `cause` holds the last error Redis
 * returned and the message says so: tell the two apart before answering "try again later" to
 * a client, or retrying into an outage.
 *
 * @example
 * catch (error) {
 *   if (error instanceof LockTimeoutError && error.reason === 'unavailable') alertOnCall(error);
 * }
 * @publicApi
 */
export class LockTimeoutError extends RedisLockError {
  /** What was waited for: a `lock`, a `read-lock` or `write-lock`, or a semaphore `permit`. */
  readonly kind: LeaseKind;
  /** Whether someone else held it (`held`) or Redis failed (`unavailable`, see `cause`). */
  readonly reason: LockTimeoutReason;

  constructor(
    /** The lock key, without the manager's `keyPrefix`. */
    readonly key: string,
    /** How long the caller waited, in milliseconds. */
    readonly waitedMs: number,
    options?: {
      /** The failure of the last attempt: given, the timeout is an outage (`unavailable`). */
      cause?: unknown;
      kind?: LeaseKind;
      /** The wait the caller allowed, in milliseconds: `0` is reported as one attempt. */
      waitTimeout?: number;
    },
  ) {
    const kind = options?.kind ?? 'lock';
    const reason: LockTimeoutReason = options?.cause !== undefined ? 'unavailable' : 'held';
    const explanation =
      reason === 'unavailable'
        ? ` Redis did not answer the last attempt: ${describe(options!.cause)}. Check that Redis is reachable.`
        : kind === 'permit'
          ? ' Its permits are in use: raise waitTimeout or permits, or use tryAcquire() to skip the work instead of waiting.'
          : ` It is held by another owner: raise waitTimeout, use tryAcquire() to skip the work instead of waiting, or call inspect('${key}') to see who holds it.`;
    const when =
      options?.waitTimeout === 0
        ? 'on the first attempt (waitTimeout: 0)'
        : `within ${Math.round(waitedMs)} ms`;
    super(
      `Could not acquire ${describeLease(kind, key)} ${when}.${explanation}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.kind = kind;
    this.reason = reason;
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
