import { LockBackendError } from '../core/errors/lock-backend.error.js';
import { LockLostError } from '../core/errors/lock-lost.error.js';
import { LockManagerClosedError } from '../core/errors/lock-manager-closed.error.js';
import { LockTimeoutError } from '../core/errors/lock-timeout.error.js';
import type { RedisLockError } from '../core/errors/redis-lock.error.js';
import { LockKeyError } from '../errors/lock-key.error.js';
import type { LockFailure } from './lock-failure.interface.js';

/** Seconds a client is asked to wait before retrying after an outage. */
export const RETRY_AFTER_SECONDS = 5;

/** What a client is told when Redis failed or did not answer. */
const OUTAGE_MESSAGE = 'The service cannot process this request right now; try again later.';

/**
 * The classes of the errors `classifyLockError` answers (for `@Catch()`: exception filters
 * match by class).
 * @internal
 */
export const LOCK_FAILURE_ERRORS = [
  LockTimeoutError,
  LockBackendError,
  LockLostError,
  LockManagerClosedError,
  LockKeyError,
] as const;

/**
 * Contention only: the lock (or every permit) is held by someone else. An outage is never
 * "held by someone else": it is a `LockTimeoutError` of reason `unavailable`.
 * @internal
 */
export function isContention(error: unknown): error is LockTimeoutError {
  return error instanceof LockTimeoutError && error.reason === 'held';
}

/**
 * What `error` means to a client, or `undefined` when it is not a failure a client should hear
 * about as such: a programming error (an invalid option, a lock upgrade, a missing module, a
 * semaphore limit mismatch) stays an internal error, and an error of the application passes
 * untouched.
 *
 * The messages are written for clients and name nothing of the code: the key, the class, the
 * method and the placeholder are in `failure.error`, which goes to the log.
 * @internal
 */
export function classifyLockError(error: unknown): LockFailure | undefined {
  if (error instanceof LockTimeoutError) {
    if (!isContention(error)) return unavailable(error, OUTAGE_MESSAGE);
    return {
      kind: 'locked',
      status: 409,
      code: 'CONFLICT',
      message:
        error.kind === 'permit'
          ? 'Too many requests are using this resource at once; try again later.'
          : 'The resource is locked by another request; try again later.',
      error,
    };
  }
  if (error instanceof LockLostError) {
    return unavailable(
      error,
      'The request lost its lock before it finished, so its outcome is uncertain; check before trying again.',
    );
  }
  if (error instanceof LockManagerClosedError) {
    return unavailable(error, 'The service is shutting down; try again later.');
  }
  if (error instanceof LockBackendError) return unavailable(error, OUTAGE_MESSAGE);
  if (error instanceof LockKeyError) {
    return {
      kind: 'invalid-key',
      status: 400,
      code: 'BAD_REQUEST',
      message: 'A value the request needs is missing or invalid.',
      error,
    };
  }
  return undefined;
}

function unavailable(error: RedisLockError, message: string): LockFailure {
  return {
    kind: 'unavailable',
    status: 503,
    code: 'SERVICE_UNAVAILABLE',
    message,
    retryAfter: RETRY_AFTER_SECONDS,
    error,
  };
}
