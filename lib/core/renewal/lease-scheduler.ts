import type { LeaseDriver } from '../backend/lease-driver.interface.js';
import type { OwnedResult } from '../backend/lock-backend.interface.js';
import type { LockLease } from '../lock-lease.js';
import { monotonicNow } from '../util/clock.util.js';

/** Callbacks into the manager, which owns events and lost-lock handling. @internal */
export interface LeaseSchedulerHooks {
  /** Validity end of a lease whose extension Redis confirmed at `sentAt`. */
  validUntil(sentAt: number, ttl: number): number;
  onExtended(lease: LockLease): void;
  onLost(lease: LockLease, reason: 'expired' | 'taken' | 'unconfirmed', cause?: unknown): void;
}

// A lease is due once a third of its ttl has passed. When the scheduler wakes up for a due lease,
// every lease past a sixth of its ttl is renewed in the same batch: locks taken within a sixth of
// a ttl of each other end up renewing together, in one round trip per 128 locks.
const RENEW_AFTER = 1 / 3;
/** Extensions built and written per event-loop turn (8 scripts of 128 locks). */
const RENEWALS_PER_TURN = 1_024;
const RENEW_EARLIEST = 1 / 6;

/**
 * One timer for every held lease of a manager: it renews the auto-extended ones in batches
 * (one EVALSHA per 128 leases of a kind on a single Redis: plain locks with plain locks, permits
 * with permits, ...) and notices the validity end of the others. Thousands of held leases cost
 * one timer and a few commands per renewal period.
 * @internal
 */
export class LeaseScheduler {
  private readonly leases = new Set<LockLease>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly hooks: LeaseSchedulerHooks) {}

  static renewAt(sentAt: number, ttl: number): number {
    return sentAt + ttl * RENEW_AFTER;
  }

  get size(): number {
    return this.leases.size;
  }

  /** The leases watched right now (a copy). */
  held(): LockLease[] {
    return [...this.leases];
  }

  add(lease: LockLease): void {
    this.leases.add(lease);
    this.arm(nextEventAt(lease));
  }

  /** Stops renewing and watching a lease at once (on release). */
  delete(lease: LockLease): void {
    this.leases.delete(lease);
  }

  /** A lease's times changed (manual extend). */
  reschedule(lease: LockLease): void {
    if (this.leases.has(lease)) this.arm(nextEventAt(lease));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.leases.clear();
  }

  private arm(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, at - monotonicNow()));
    // Renewing must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = monotonicNow();
    const due: LockLease[] = [];
    let next = Infinity;
    for (const lease of this.leases) {
      if (lease.expiresAt <= now) {
        this.leases.delete(lease);
        this.hooks.onLost(lease, lease.autoExtend ? 'unconfirmed' : 'expired');
        continue;
      }
      if (
        lease.autoExtend &&
        !lease.renewing &&
        lease.renewAt - lease.ttl * (RENEW_AFTER - RENEW_EARLIEST) <= now
      ) {
        due.push(lease);
      }
      next = Math.min(next, nextEventAt(lease));
    }
    if (due.length > 0) this.renewByDriver(due, now);
    if (next !== Infinity) this.arm(next);
  }

  /** Leases of different primitives are renewed by different scripts: one batch per driver. */
  private renewByDriver(due: LockLease[], sentAt: number): void {
    const first = due[0]!.driver;
    if (due.every((lease) => lease.driver === first)) return this.renew(first, due, sentAt);
    const byDriver = new Map<LeaseDriver, LockLease[]>();
    for (const lease of due) {
      const group = byDriver.get(lease.driver);
      if (group) group.push(lease);
      else byDriver.set(lease.driver, [lease]);
    }
    for (const [driver, leases] of byDriver) this.renew(driver, leases, sentAt);
  }

  private renew(driver: LeaseDriver, due: LockLease[], sentAt: number): void {
    for (const lease of due) lease.renewing = true;
    // Building and writing thousands of extensions in one turn stalls the event loop for tens of
    // milliseconds: send them a slice per turn instead.
    for (let start = 0; start < due.length; start += RENEWALS_PER_TURN) {
      const slice = due.slice(start, start + RENEWALS_PER_TURN);
      if (start === 0) this.send(driver, slice, sentAt);
      else setImmediate(() => this.send(driver, slice, sentAt));
    }
  }

  private send(driver: LeaseDriver, slice: LockLease[], sentAt: number): void {
    // Leases released (or lost) since the slice was cut are not extended any more.
    const due = slice.filter((lease) => {
      if (this.leases.has(lease)) return true;
      lease.renewing = false;
      return false;
    });
    if (due.length === 0) return;
    const requests = due.map((lease) => ({
      redisKeys: lease.redisKeys,
      token: lease.token,
      ttl: lease.ttl,
      fencingToken: lease.fencingToken,
    }));
    driver.extendMany(requests).then(
      (results) => this.settle(due, sentAt, results),
      () => this.settle(due, sentAt, undefined),
    );
  }

  private settle(due: LockLease[], sentAt: number, results: OwnedResult[] | undefined): void {
    const now = monotonicNow();
    due.forEach((lease, i) => {
      lease.renewing = false;
      // Released (or declared lost) while the extension was in flight: nothing to do.
      if (lease.state !== 'held' || !this.leases.has(lease)) return;
      const result = results?.[i];
      if (result === 'ok') {
        lease.expiresAt = Math.max(lease.expiresAt, this.hooks.validUntil(sentAt, lease.ttl));
        lease.renewAt = LeaseScheduler.renewAt(sentAt, lease.ttl);
        this.hooks.onExtended(lease);
      } else if (result === 'expired' || result === 'taken') {
        this.leases.delete(lease);
        this.hooks.onLost(lease, result);
        return;
      } else {
        // Redis failed: try again soon, while the validity lasts; the expiry check above
        // declares the lock lost if no extension gets through in time.
        const remaining = lease.expiresAt - now;
        lease.renewAt = now + Math.min(1_000, Math.max(25, remaining / 5));
      }
      this.arm(nextEventAt(lease));
    });
  }
}

function nextEventAt(lease: LockLease): number {
  if (!lease.autoExtend || lease.renewing) return lease.expiresAt;
  return Math.min(lease.expiresAt, lease.renewAt);
}
