import type { MapLockErrors } from './lock-error-mapper.interface.js';

/**
 * Where a lock error came from, when a decorated method threw it for its own lock (not when the
 * method's body threw it): the method, for the log, and that decorator's `mapErrors`.
 * @internal
 */
export interface LockErrorOrigin {
  /** `@DistributedLock` or `@DistributedSemaphore`. */
  readonly decorator: string;
  /** `Class.method()`. */
  readonly method: string;
  /** The decorator's own choice; `undefined` leaves it to the module. */
  readonly mapErrors: MapLockErrors | undefined;
}

// Weak: an error that nobody holds any more takes its origin with it.
const origins = new WeakMap<object, LockErrorOrigin>();

/**
 * Records where `error` came from and returns it. The first record wins: an error that passes
 * through outer decorated methods on its way up keeps the origin of the lock it is about.
 * @internal
 */
export function markLockError<E>(error: E, origin: LockErrorOrigin): E {
  if (typeof error === 'object' && error !== null && !origins.has(error)) {
    origins.set(error, origin);
  }
  return error;
}

/** @internal */
export function lockErrorOrigin(error: unknown): LockErrorOrigin | undefined {
  return typeof error === 'object' && error !== null ? origins.get(error) : undefined;
}
