import type { AcquireOptions } from './acquire-options.interface.js';

/**
 * Options of `Semaphore.acquire()`, `tryAcquire()` and `withPermit()`: those of a lock (each
 * overrides the manager's default of the same name), plus the permits to take.
 * @publicApi
 */
export interface SemaphoreAcquireOptions extends Omit<AcquireOptions, 'fair' | 'ttl'> {
  /**
   * How long the permits live in Redis if they are neither released nor renewed, in
   * milliseconds: a holder that dies frees them after this.
   * @default the manager's `ttl` (30000)
   */
  ttl?: number;
  /**
   * How many of the semaphore's permits this holder takes at once, all or none (a big job may
   * count for several small ones). From 1 to the semaphore's `permits`. Waiters are served in
   * arrival order: a heavy waiter at the head of the queue holds the lighter ones behind it
   * until enough permits are free for it, so light callers cannot keep it waiting for ever.
   * @default 1
   */
  weight?: number;
}
