import type { RedisLockError } from '../core/errors/redis-lock.error.js';

/**
 * What a lock error means to the client of a request, the same on every transport:
 *
 * - `locked`: another request holds the lock, or every permit (`409`, `CONFLICT`);
 * - `unavailable`: Redis failed or did not answer, the lock was lost while the request ran, or
 *   the application is shutting down (`503`, `SERVICE_UNAVAILABLE`, with `retryAfter`);
 * - `invalid-key`: the request's arguments cannot name a lock (`400`, `BAD_REQUEST`).
 * @publicApi
 */
export interface LockFailure {
  readonly kind: 'locked' | 'unavailable' | 'invalid-key';
  /** The HTTP status of the answer. */
  readonly status: 409 | 503 | 400;
  /** The code of the answer: GraphQL `extensions.code`, and `code` in RPC and WebSocket errors. */
  readonly code: 'CONFLICT' | 'SERVICE_UNAVAILABLE' | 'BAD_REQUEST';
  /** The message for the client. It names no key, class, method or placeholder. */
  readonly message: string;
  /** `unavailable` only: seconds after which a retry may succeed (HTTP `Retry-After`). */
  readonly retryAfter?: number;
  /** The error itself, for your logs: never send its message to a client. */
  readonly error: RedisLockError;
}
