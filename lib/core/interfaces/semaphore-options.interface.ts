/**
 * Options of `LockManager.semaphore()`.
 * @publicApi
 */
export interface SemaphoreOptions {
  /**
   * How many permits the semaphore has: at most this many holders (counting each holder's
   * `weight`) at once. A whole number from 1 to 10000. Every caller of the same key must use the
   * same number while the semaphore has holders (otherwise `SemaphoreLimitMismatchError`).
   */
  permits: number;
}
