import type { LockTimeoutError } from '../core/errors/lock-timeout.error.js';

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
  /** Why the lock could not be taken. */
  readonly error: LockTimeoutError;
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
   * @default true
   */
  autoExtend?: boolean;
  /**
   * When the lock is still held by someone else after `waitTimeout`:
   * - `'throw'`: reject with `LockTimeoutError` (an HTTP route answers 409 Conflict);
   * - `'skip'`: do not run the method and return `undefined` (the single-instance `@Cron` case);
   * - a function: its return value (or thrown error) becomes the call's result.
   * @default the module's `onLocked` ('throw')
   */
  onLocked?: 'throw' | 'skip' | ((context: LockedContext<A>) => unknown);
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
   * Wait for the lock in arrival order (see `AcquireOptions.fair`). One key only; not with
   * `mode`.
   * @default false
   */
  fair?: boolean;
}
