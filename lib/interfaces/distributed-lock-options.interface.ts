import type { LockLostError } from '../core/errors/lock-lost.error.js';
import type { LockTimeoutError } from '../core/errors/lock-timeout.error.js';
import type { MapLockErrors } from '../exceptions/lock-error-mapper.interface.js';

/**
 * What an `onLocked` function receives when a decorated method finds its lock held.
 * @publicApi
 */
export interface LockedContext<A extends unknown[] = unknown[]> {
  /** The key, or the keys joined with `" + "`. */
  readonly key: string;
  /** The resolved lock keys (without the prefix). */
  readonly keys: readonly string[];
  /** The arguments of the call. */
  readonly args: A;
  /** The object the method was called on. */
  readonly instance: unknown;
  /** Why the lock could not be taken (always `reason: 'held'`: an outage never gets here). */
  readonly error: LockTimeoutError;
}

/**
 * What an `onLost` function receives when a decorated method returned after its lock was lost.
 * @publicApi
 */
export interface LostContext<A extends unknown[] = unknown[]> {
  /** The key, or the keys joined with `" + "`. */
  readonly key: string;
  /** The resolved lock keys (without the prefix). */
  readonly keys: readonly string[];
  /** The arguments of the call. */
  readonly args: A;
  /** The object the method was called on. */
  readonly instance: unknown;
  /** Why and when the lock was lost: `reason` is `expired`, `taken`, `unconfirmed` or `closed`. */
  readonly error: LockLostError;
  /**
   * What the method returned (its resolved value), produced without exclusion for a while;
   * `undefined` for an Observable, whose loss is handled the moment it is known.
   */
  readonly result: unknown;
}

/**
 * Options of one `@DistributedLock`. Unset fields take the module's defaults.
 * @publicApi
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface DistributedLockOptions<A extends unknown[] = any[]> {
  /**
   * Time to live of the lock in Redis, in milliseconds. With `autoExtend` (the default) it is
   * renewed while the method runs, so it only bounds how long a crashed instance blocks others.
   * @default the module's `ttl` (30000)
   */
  ttl?: number;
  /**
   * How long to wait for a lock held by someone else, in milliseconds; `0` tries once.
   * @default the module's `waitTimeout` (10000) with `onLocked: 'throw'`; 0 with `'skip'`
   */
  waitTimeout?: number;
  /**
   * Renew the lock while the method runs, so it may run longer than its ttl.
   * @default the module's `autoExtend` when it is set, else true
   */
  autoExtend?: boolean;
  /**
   * When the lock is still held by someone else after `waitTimeout`:
   * - `'throw'`: reject with `LockTimeoutError` (a client gets 409 Conflict);
   * - `'skip'`: do not run the method and return `undefined` (the single-instance `@Cron` case);
   * - a function: its return value (or thrown error) becomes the call's result.
   *
   * Only for contention: when Redis fails, the call rejects with a `LockTimeoutError` of
   * `reason: 'unavailable'` (or a `LockBackendError`) whatever this says, so that an outage is
   * never skipped silently nor answered as "locked".
   * @default the module's `onLocked` ('throw')
   */
  onLocked?: 'throw' | 'skip' | ((context: LockedContext<A>) => unknown);
  /**
   * When the lock was lost while the method ran (it expired and was taken, Redis could not
   * confirm a renewal in time, or the app shut down past `shutdownTimeout`):
   *
   * - the method's own `signal` (`RedisLockService.current()?.signal`, or `currentLease()`)
   *   aborts at once, with the `LockLostError` as its reason: long work should watch it and
   *   stop; `signal.throwIfAborted()` throws that error, which the caller then gets;
   * - when the method returns anyway, `onLost` decides what the caller gets:
   *   - `'throw'`: the result is discarded and the call rejects with the `LockLostError`
   *     (503 Service Unavailable for a client), as `withLock` does;
   *   - `'ignore'`: the result, as if nothing happened (the loss is logged as `lost`);
   *   - a function: its return value (or thrown error) becomes the call's result; it receives
   *     the method's result, to keep, compensate or discard.
   * - An Observable is handled the moment the loss is known: `'throw'` unsubscribes it and
   *   errors; a function's result replaces the rest of the stream; `'ignore'` lets it run on.
   *
   * A method that throws keeps its own error. A method that re-entered a lock its caller holds
   * leaves the loss to that caller.
   * @default the module's `onLost` ('throw')
   * @example
   * @DistributedLock('import:<feed>', { onLost: 'ignore' }) // idempotent, fenced writes
   */
  onLost?: 'throw' | 'ignore' | ((context: LostContext<A>) => unknown);
  /**
   * What becomes of this method's lock errors (a held lock, a Redis failure, a lost lock, an
   * unusable key) when they reach a controller, resolver, gateway or message handler: see the
   * module's `mapErrors`. `false` lets them through as they are, to your exception filters.
   * @default the module's `mapErrors` (true)
   */
  mapErrors?: MapLockErrors;
  /**
   * Whether the method may enter a lock its async call chain already holds (a decorated method
   * calling another one on the same key). Different call chains always exclude each other.
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
  /**
   * Hold one side of a read-write lock on the key instead of a plain lock: `'read'` (shared
   * with other readers) or `'write'` (exclusive; waiting writers keep new readers out). A read
   * inside a write of the same call chain re-enters the write lock; a write inside a read
   * throws `LockUpgradeError`. One key only; a plain lock cannot share the key's name.
   * @default undefined (a plain lock)
   */
  mode?: 'read' | 'write';
  /**
   * `true`: wait for the lock in arrival order, handed over by each release (see
   * `AcquireOptions.fair`; one key only, not with `mode`). `false`: the barging lock, where
   * whoever asks first after a release gets it.
   * @default the module's `fair` (true for a single key)
   */
  fair?: boolean;
}
