/**
 * Counts the Redis commands a manager sent and has not heard back from (acquire attempts,
 * releases, renewals, clean-ups): `close()` waits for them, so a late reply is dealt with (a late
 * grant given back) before the manager reports itself closed. A counter, not a set of promises:
 * the hot paths call begin() and end() from the handlers they already have, at no allocation.
 * @internal
 */
export class InFlight {
  private count = 0;
  private idle: (() => void) | undefined;

  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count === 0 && this.idle) {
      const idle = this.idle;
      this.idle = undefined;
      idle();
    }
  }

  /** Counts `promise` until it settles; returns nothing (for commands nobody awaits). */
  track(promise: Promise<unknown>): void {
    this.begin();
    promise.then(
      () => this.end(),
      () => this.end(),
    );
  }

  /** Resolves once nothing is in flight, or after `ms`, whichever comes first. */
  drain(ms: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = undefined;
        resolve();
      }, ms);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
