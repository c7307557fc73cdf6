import { LockBackendError } from './lock-backend.error.js';

/**
 * Too few of the Redis masters of a Redlock quorum answered, so the operation could not reach a
 * majority and its outcome is not known to be valid.
 *
 * Thrown by `tryAcquire()`, `inspect()`, `forceRelease()`, `extend()` and `release()`, and given
 * as the `cause` of a `LockTimeoutError` when `acquire()` waited in vain. Masters that answered
 * that the lock is held by someone else count as answered: this error means unreachable or slow
 * masters, not contention.
 * @publicApi
 */
export class LockQuorumError extends LockBackendError {
  constructor(
    key: string,
    operation: LockBackendError['operation'],
    /** Masters that answered within `nodeTimeout`. */
    readonly answered: number,
    /** Masters a majority needs: `floor(masters / 2) + 1`. */
    readonly needed: number,
    /** Masters the manager was given. */
    readonly masters: number,
    options?: {
      cause?: unknown;
      /** Masters that confirmed holding the lock, when enough answered but too few confirmed. */
      confirmed?: number;
      /** What each master answered, in the order given (`ok`, `expired`, `no answer`, ...). */
      outcomes?: readonly string[];
    },
  ) {
    const confirmed = options?.confirmed ?? 0;
    const count =
      answered >= needed
        ? `only ${confirmed} of ${masters} masters confirmed it and ${masters - answered} did not answer; ${needed} are needed`
        : `${answered} of ${masters} masters answered; ${needed} are needed`;
    super(
      key,
      operation,
      `Could not ${operation} lock "${key}": ${count}` +
        (options?.outcomes ? ` (masters: ${options.outcomes.join(', ')}). ` : '. ') +
        'Check that a majority of the Redis masters is reachable, or raise nodeTimeout if they are only slow.',
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.outcomes = options?.outcomes ?? [];
  }

  /** What each master answered, in the order the clients were given. */
  readonly outcomes: readonly string[];
}
