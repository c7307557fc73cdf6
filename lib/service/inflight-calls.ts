import { LockManagerClosedError } from '../core/errors/lock-manager-closed.error.js';
import { LinkedList } from '../core/util/linked-list.js';

/** What a shutdown wait gave up on. */
export interface CutCalls {
  /** What each call still running held, for the log. */
  readonly holding: readonly string[];
  /** How many calls were running when the wait began. */
  readonly running: number;
}

/**
 * The locked calls (decorated methods and `with*` callbacks) running in one application, so
 * that `app.close()` can wait for them, and whether shutdown began: from then on nothing new
 * starts.
 * @internal
 */
export class InflightCalls {
  /**
   * Each running call, with what it holds. A list, not a Map: most calls run for a moment
   * (see LinkedList).
   */
  private readonly running = new LinkedList<{
    readonly work: Promise<unknown>;
    readonly holding: string;
  }>();
  private closing = false;

  /** Whether shutdown began. */
  get draining(): boolean {
    return this.closing;
  }

  /** From now on, `assertOpen()` refuses. */
  close(): void {
    this.closing = true;
  }

  /** @throws LockManagerClosedError once shutdown began */
  assertOpen(): void {
    if (this.closing) throw new LockManagerClosedError();
  }

  /** Keeps `work` in the set that `drain()` waits for, until it settles. */
  track<T>(work: Promise<T>, holding: string): Promise<T> {
    const node = this.running.push({ work, holding });
    const done = (): void => node.remove();
    work.then(done, done);
    return work;
  }

  /**
   * Waits up to `timeout` ms for the calls running to settle. Resolves with `undefined` when
   * they all did, or with the calls it gave up on.
   */
  async drain(timeout: number): Promise<CutCalls | undefined> {
    if (this.running.size === 0) return undefined;
    const running = this.running.size;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.running].map((call) => call.work)).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeout);
      }),
    ]);
    clearTimeout(timer);
    return timedOut
      ? { holding: [...this.running].map((call) => call.holding), running }
      : undefined;
  }
}
