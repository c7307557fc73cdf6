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
   * Hand the lock out in arrival order, with a direct handoff: a caller that finds the lock held
   * (or others already waiting) takes a place in a queue in Redis, and a release gives the lock
   * straight to the first waiter and tells it by name: no herd, no acquire round trip, no caller
   * starved by a faster one. A waiter that gives up leaves the queue at once (and passes on a
   * grant it just got); one whose process dies loses its place after the manager's `waiterTtl`
   * (5 s by default), and a lock handed to it lasts only that long, so it never blocks the
   * others for longer.
   *
   * `false` asks for the barging lock: waiters are woken by the release's announcement and the
   * fastest one takes the lock, as most lock libraries do. Fair and barging callers of one key
   * exclude each other, but a barging one does not look at the queue: use one kind per key.
   *
   * Fair locks take one key; a multi-key lock, a lock on a Redlock quorum, and a lock with the
   * manager's `waitForReplicas` are barging (asking for `fair: true` there is refused).
   * @default the manager's `fair` (true)
   */
  fair?: boolean;
}
