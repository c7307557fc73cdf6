import { machineNow } from './history.js';
import type { Random } from './random.js';

interface Waiter {
  /** Called with true when a master is handed over, false when the deadline came first. */
  settle(granted: boolean): void;
}

/**
 * Which masters of a quorum are under a fault, so that a minority at most is at any instant:
 * the quorum promises to keep working, and exclusion, while "any minority of masters [is] down,
 * slow or restarted" (docs/guide/topologies.md). A master takes one fault at a time, so that a
 * fault's record says all that happened to it.
 *
 * Claims wait in arrival order: the fault kinds compete for few masters, and a kind whose faults
 * last long (a delayed restart) would otherwise lose every race to the short ones, and a round
 * could end without injecting it.
 */
export class MasterFaultBudget {
  private readonly faulted = new Set<number>();
  private readonly waiting: Waiter[] = [];
  /** Places handed to a waiter that has not taken its master yet. */
  private handedOver = 0;

  constructor(
    readonly masters: number,
    /** At most this many at once: floor((N - 1) / 2), the largest minority. */
    readonly limit = Math.floor((masters - 1) / 2),
  ) {}

  /**
   * Claims a master that is not under a fault, drawn from `rng`, once fewer than `limit` are;
   * waits for one until `deadline` (machine ms), then gives up (undefined).
   */
  async claim(rng: Random, deadline: number): Promise<number | undefined> {
    const full = this.faulted.size + this.handedOver >= this.limit;
    if (full || this.waiting.length > 0) {
      const granted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(
          () => {
            this.waiting.splice(this.waiting.indexOf(waiter), 1);
            resolve(false);
          },
          Math.max(0, deadline - machineNow()),
        );
        const waiter: Waiter = {
          settle: (handed) => {
            clearTimeout(timer);
            resolve(handed);
          },
        };
        this.waiting.push(waiter);
      });
      if (!granted) return undefined;
      this.handedOver--;
    }
    const free = Array.from({ length: this.masters }, (_, i) => i).filter(
      (i) => !this.faulted.has(i),
    );
    const index = rng.pick(free);
    this.faulted.add(index);
    return index;
  }

  /** The fault on master `index` is over, its effect included: the next waiter may have it. */
  release(index: number): void {
    this.faulted.delete(index);
    const next = this.waiting.shift();
    if (!next) return;
    this.handedOver++;
    next.settle(true);
  }
}
