import type { DistributedLockOptions } from './distributed-lock-options.interface.js';

/**
 * Options of one `@DistributedSemaphore`. Unset fields take the module's defaults.
 * @publicApi
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface DistributedSemaphoreOptions<A extends unknown[] = any[]> extends Omit<
  DistributedLockOptions<A>,
  'mode' | 'fair' | 'reentrant'
> {
  /**
   * How many permits the semaphore has: at most this many calls (counting `weight`) run at once
   * across all instances. Required; every user of the key must give the same number.
   */
  permits: number;
  /**
   * How many permits one call takes, from 1 to `permits`.
   * @default 1
   */
  weight?: number;
  /**
   * Whether a call may enter a permit of the same semaphore that its async call chain already
   * holds, instead of taking another (which, with few permits, could wait for itself).
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}
