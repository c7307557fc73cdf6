/**
 * Options of one `acquire()`, `tryAcquire()` or `withLock()` call. Each one overrides the
 * manager's default of the same name.
 * @publicApi
 */
export interface AcquireOptions {
  /**
   * How long the lock lives in Redis if it is neither released nor extended, in milliseconds
   * (a positive integer, at least 10 and at most 2147483647).
   * @default the manager's `ttl` (30000)
   */
  ttl?: number;
  /**
   * How long to wait for a lock held by someone else, in milliseconds. `0` makes a single
   * attempt; `Infinity` waits until the lock is acquired or `signal` aborts.
   * @default the manager's `waitTimeout` (10000) for `acquire()`; a single attempt for `tryAcquire()`
   */
  waitTimeout?: number;
  /**
   * Cancels the wait. An abort while waiting rejects with `LockAbortedError` and leaves nothing
   * held in Redis.
   */
  signal?: AbortSignal;
  /**
   * Keep extending the lock (about every ttl/3) until it is released. If an extension fails the
   * lock's `signal` aborts with a `LockLostError`. `withLock()` always extends.
   * @default the manager's `autoExtend` (false)
   */
  autoExtend?: boolean;
  /**
   * Hand the lock out in arrival order: a caller that finds the lock held (or others already
   * waiting) takes a place in a queue in Redis and gets the lock when its turn comes; a release
   * wakes exactly the next waiter. A waiter that gives up leaves the queue at once; one whose
   * process dies loses its place after the manager's `waiterTtl` (5 s by default), so it never
   * blocks the others for longer. One key only. Plain (non-fair) callers of the same key do not
   * queue and can get in ahead of the queue: use `fair: true` everywhere on a key whose order
   * matters. Costs: waiters renew their place about every `waiterTtl`/3 (one round trip each).
   * Not available on a Redlock quorum (`UnsupportedPrimitiveError`).
   * @default false
   */
  fair?: boolean;
}
