/**
 * What `inspect()` found in Redis for one lock key. Nothing is spelled `null` (a free lock has
 * no ttl, fencing token or owner); a `ttl` of -1 is Redis's answer for a held key without
 * expiry (made by hand), not "nothing". `inspect()` resolves to {@link FreeLockInfo} or
 * {@link HeldLockInfo}: test `held` to narrow it.
 * @publicApi
 */
export interface LockInfo {
  /** The lock key, without the manager's `keyPrefix`. */
  readonly key: string;
  /** Whether someone holds the lock right now. */
  readonly held: boolean;
  /** Remaining time to live of the current holder's key in milliseconds; `null` when free. */
  readonly ttl: number | null;
  /** Fencing token of the current holder; `null` when free. */
  readonly fencingToken: number | null;
  /** The current holder's `owner` label (by default `hostname:pid`); `null` when free. */
  readonly owner: string | null;
}

/**
 * A lock `inspect()` found free.
 * @publicApi
 */
export interface FreeLockInfo extends LockInfo {
  readonly held: false;
  readonly ttl: null;
  readonly fencingToken: null;
  readonly owner: null;
}

/**
 * A lock `inspect()` or `LockManager.list()` found held.
 * @publicApi
 */
export interface HeldLockInfo extends LockInfo {
  readonly held: true;
  /** Remaining time to live in milliseconds (-1 for a key without expiry, made by hand). */
  readonly ttl: number;
  readonly fencingToken: number;
}
