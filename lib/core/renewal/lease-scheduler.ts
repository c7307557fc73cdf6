import type { LeaseDriver } from '../backend/lease-driver.interface.js';
import type { LeaseLifecycle } from '../lease/lease-lifecycle.js';
import { monotonicNow } from '../util/clock.util.js';
import { LinkedList } from '../util/linked-list.js';

/** What the scheduler asks of the keeper of the leases, which sends and settles. @internal */
export interface LeaseSchedulerHooks {
  /** Renew these leases (all of one driver) in as few round trips as the topology allows. */
  renew(driver: LeaseDriver, leases: readonly LeaseLifecycle[]): void;
  /** The lease's validity passed without a confirmed renewal. */
  expired(lease: LeaseLifecycle): void;
}

// A lease is due once a third of its ttl has passed. When the scheduler wakes up for a due lease,
// every lease past a sixth of its ttl is renewed in the same batch: locks taken within a sixth of
// a ttl of each other end up renewing together, in one round trip per 128 locks.
const RENEW_EARLIEST = 1 / 6;
/** Extensions built and written per event-loop turn (8 scripts of 128 locks). */
const RENEWALS_PER_TURN = 1_024;

/**
 * One timer for every held lease of a manager: it asks for the renewal of the auto-extended
 * ones in batches (one EVALSHA per 128 leases of a kind on a single Redis) and notices the end
 * of the validity of the others. It only decides when; the `LeaseKeeper` sends the commands and
 * applies their replies to each lease's state machine. Thousands of held leases cost one timer
 * and a few commands per renewal period.
 * @internal
 */
export class LeaseScheduler {
  /** A list, not a Set: most leases are held for a moment (see LinkedList). */
  private readonly leases = new LinkedList<LeaseLifecycle>();
  /** Due leases waiting for a later event-loop turn to be sent (large batches). */
  private readonly queued = new Set<LeaseLifecycle>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly hooks: LeaseSchedulerHooks) {}

  get size(): number {
    return this.leases.size;
  }

  /** The leases watched right now (a copy). */
  held(): LeaseLifecycle[] {
    return [...this.leases];
  }

  has(lease: LeaseLifecycle): boolean {
    return lease.schedulerNode !== undefined;
  }

  add(lease: LeaseLifecycle): void {
    if (this.closed || lease.schedulerNode !== undefined) return;
    lease.schedulerNode = this.leases.push(lease);
    this.arm(lease.nextEventAt());
  }

  /** Stops watching a lease at once (released or lost). */
  delete(lease: LeaseLifecycle): void {
    const node = lease.schedulerNode;
    if (node === undefined) return;
    lease.schedulerNode = undefined;
    this.leases.remove(node);
    if (this.queued.size > 0) this.queued.delete(lease);
  }

  /** A lease's times changed (a renewal or an extension was settled). */
  reschedule(lease: LeaseLifecycle): void {
    if (lease.schedulerNode !== undefined) this.arm(lease.nextEventAt());
  }

  /** Stops for good: nothing is armed again afterwards. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const lease of this.leases) lease.schedulerNode = undefined;
    this.leases.clear();
    this.queued.clear();
  }

  private arm(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => this.tick(),
      Math.max(0, Math.min(at - monotonicNow(), 2_147_483_647)),
    );
    // Renewing must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = monotonicNow();
    const due: LeaseLifecycle[] = [];
    const expired: LeaseLifecycle[] = [];
    for (const lease of this.leases) {
      if (!lease.isValidAt(now)) expired.push(lease);
      else if (!this.queued.has(lease) && lease.isRenewalDue(now, RENEW_EARLIEST)) due.push(lease);
    }
    for (const lease of expired) {
      this.delete(lease);
      this.hooks.expired(lease);
    }
    if (due.length > 0) this.renewByDriver(due);
    let next = Infinity;
    for (const lease of this.leases) {
      next = Math.min(next, this.queued.has(lease) ? lease.expiresAt : lease.nextEventAt());
    }
    if (next !== Infinity) this.arm(next);
  }

  /** Leases of different primitives are renewed by different scripts: one batch per driver. */
  private renewByDriver(due: LeaseLifecycle[]): void {
    const byDriver = new Map<LeaseDriver, LeaseLifecycle[]>();
    for (const lease of due) {
      const group = byDriver.get(lease.driver);
      if (group) group.push(lease);
      else byDriver.set(lease.driver, [lease]);
    }
    for (const [driver, leases] of byDriver) {
      // Building and writing thousands of extensions in one turn stalls the event loop for tens
      // of milliseconds: send them a slice per turn instead.
      this.hooks.renew(driver, leases.slice(0, RENEWALS_PER_TURN));
      for (let start = RENEWALS_PER_TURN; start < leases.length; start += RENEWALS_PER_TURN) {
        const slice = leases.slice(start, start + RENEWALS_PER_TURN);
        for (const lease of slice) this.queued.add(lease);
        setImmediate(() => {
          for (const lease of slice) this.queued.delete(lease);
          if (!this.closed) this.hooks.renew(driver, slice);
        });
      }
    }
  }
}
