import { monotonicNow } from './clock.util.js';
import { LinkedList, type ListNode } from './linked-list.js';

/** A registered deadline; cancel it once the operation is done. @internal */
export interface WatchedDeadline {
  cancel(): void;
}

class Entry implements WatchedDeadline {
  node: ListNode<Entry> | undefined;

  constructor(
    readonly at: number,
    readonly onExpire: () => void,
  ) {}

  get pending(): boolean {
    return this.node?.list !== undefined;
  }

  cancel(): void {
    this.node?.remove();
  }
}

/**
 * One timer for the deadlines of every Redis operation in flight. Most operations are answered
 * in well under a millisecond: registering and cancelling is a list insert and removal (see
 * LinkedList for why not a Set), where a timer per operation would cost a timer creation and a
 * clearTimeout on the hot path.
 *
 * The timer is unref'd: an operation in flight keeps the process alive through its socket (or
 * ioredis' reconnect timer), not through this watch.
 * @internal
 */
export class DeadlineWatch {
  private readonly entries = new LinkedList<Entry>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** Calls `onExpire` at `at` (monotonic ms) unless cancelled before. */
  watch(at: number, onExpire: () => void): WatchedDeadline {
    const entry = new Entry(at, onExpire);
    entry.node = this.entries.push(entry);
    if (at < this.timerAt) this.arm(at);
    return entry;
  }

  /** Settles like `promise`, or rejects with "Redis did not answer" after `ms`. */
  bound<T>(promise: Promise<T>, ms: number): Promise<T> {
    if (ms === Infinity) return promise;
    return new Promise<T>((resolve, reject) => {
      const deadline = this.watch(monotonicNow() + ms, () => {
        promise.catch(() => undefined);
        reject(new Error(`Redis did not answer within ${Math.round(ms)} ms`));
      });
      promise.then(
        (value) => {
          deadline.cancel();
          resolve(value);
        },
        (error: unknown) => {
          deadline.cancel();
          reject(error);
        },
      );
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.entries.clear();
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => this.fire(),
      Math.max(0, Math.min(at - monotonicNow(), 2_147_483_647)),
    );
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = monotonicNow();
    const expired: Entry[] = [];
    for (const entry of this.entries) if (entry.at <= now) expired.push(entry);
    // Called once the walk is over: a callback may cancel or add other deadlines, and one
    // cancelled by an earlier callback does not fire.
    for (const entry of expired) {
      if (!entry.pending) continue;
      entry.cancel();
      entry.onExpire();
    }
    let next = Infinity;
    for (const entry of this.entries) next = Math.min(next, entry.at);
    if (next < this.timerAt) this.arm(next);
  }
}
