/**
 * Options of `RedisCronLocker`.
 * @experimental
 * @publicApi
 */
export interface RedisCronLockerOptions {
  /**
   * Put in front of each job's key (after the manager's own `keyPrefix`), so job locks do not
   * share names with the application's other locks.
   * @default 'cron:'
   */
  keyPrefix?: string;
  /**
   * Keeps a job's lock at least this long after it was taken, in milliseconds, even when the job
   * finished sooner: `release()` then gives it back when this time is up (a timer, not awaited).
   * Instances whose tick fires a little later than the first one's (clocks, timers and event
   * loops are never exactly in step) find the lock still held and skip the tick, instead of
   * running the job a second time once it was released. Set it a little above the largest
   * difference you expect between the instances' ticks, and below the job's interval. It never
   * holds the lock past its own ttl.
   * @default 0 (released as soon as the job finished)
   */
  lockAtLeastFor?: number;
}
