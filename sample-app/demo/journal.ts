import type { SaleEvent } from '../src/events/sale-event.interface';

/** An event and the instance that reported it. */
export type Entry = SaleEvent & { readonly instance: string };

interface Waiter {
  readonly match: (entry: Entry) => boolean;
  readonly resolve: (entry: Entry) => void;
}

/**
 * Every sale event of every instance, in the order they arrived, and a way to wait for the
 * next one that matters ("the next stock read by a lock holder", "a grant with a larger token").
 */
export class Journal {
  readonly entries: Entry[] = [];
  private waiters: Waiter[] = [];

  /** A callback for `startInstance`: records what `instance` reports. */
  recorder(instance: string): (event: SaleEvent) => void {
    return (event) => this.add({ ...event, instance } as Entry);
  }

  add(entry: Entry): void {
    this.entries.push(entry);
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (waiter.match(entry)) waiter.resolve(entry);
      else this.waiters.push(waiter);
    }
  }

  find(match: (entry: Entry) => boolean): Entry | undefined {
    return this.entries.find(match);
  }

  /**
   * The first entry that matches, already recorded (`past`) or still to come; fails after
   * `timeoutMs` with what it waited for.
   */
  async wait(
    what: string,
    match: (entry: Entry) => boolean,
    { timeoutMs, past = false }: { timeoutMs: number; past?: boolean },
  ): Promise<Entry> {
    if (past) {
      const found = this.find(match);
      if (found) return found;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<Entry>((resolve, reject) => {
        this.waiters.push({ match, resolve });
        timer = setTimeout(
          () => reject(new Error(`waited ${timeoutMs} ms for ${what}, in vain`)),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      this.waiters = this.waiters.filter((waiter) => waiter.match !== match);
    }
  }

  /** Stock writes the store accepted for a product. */
  sales(productId: string): Entry[] {
    return this.entries.filter(
      (e) => e.type === 'write' && e.productId === productId && e.accepted,
    );
  }

  /**
   * Writes made with a fencing token after a larger token had been granted for the same
   * lock: their writer had lost the lock, whether or not it knew. Timestamps come from the
   * instances, which share one clock.
   */
  staleWrites(productId: string): Array<Extract<Entry, { type: 'write' }>> {
    const grants = this.entries.filter(
      (e): e is Extract<Entry, { type: 'acquired' }> =>
        e.type === 'acquired' && e.key === `stock:${productId}`,
    );
    return this.entries.filter(
      (e): e is Extract<Entry, { type: 'write' }> =>
        e.type === 'write' &&
        e.productId === productId &&
        e.token !== undefined &&
        grants.some((g) => g.token > e.token! && g.t < e.sentAt),
    );
  }
}
