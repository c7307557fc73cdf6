/**
 * The Redis commands a manager sent and has not heard back from (acquire attempts, releases,
 * renewals, clean-ups): `close()` waits for them, so a late reply is dealt with (a late grant
 * given back) before the manager reports itself closed.
 * @internal
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  get size(): number {
    return this.pending.size;
  }

  /** Tracks `promise` until it settles; returns it unchanged. */
  track<T>(promise: Promise<T>): Promise<T> {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return promise;
  }

  /** Resolves once every tracked command has settled, or after `ms`, whichever comes first. */
  async drain(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.pending]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
  }
}
