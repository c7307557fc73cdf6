/**
 * Backoff of the safety-net polling a waiter does while it waits for a release.
 *
 * Waiters are woken by a pub/sub message the release publishes, so polling only matters when a
 * message is lost (a reconnect, a holder that crashed and let its key expire). The delay starts at
 * `minDelay`, is multiplied by `factor` after each poll up to `maxDelay`, and each wait is drawn
 * at random between half the delay and the whole delay, so waiters do not poll in step. A waiter
 * also never sleeps past the moment the current holder's key expires.
 * @publicApi
 */
export interface RetryOptions {
  /**
   * First polling delay, in milliseconds.
   * @default 50
   */
  minDelay?: number;
  /**
   * Longest polling delay, in milliseconds: the most a lost wakeup can cost a waiter.
   * @default 1000
   */
  maxDelay?: number;
  /**
   * Growth of the delay after each poll.
   * @default 2
   */
  factor?: number;
}
