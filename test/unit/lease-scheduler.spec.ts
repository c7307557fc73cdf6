import type { LeaseDriver } from '../../lib/core/backend/lease-driver.interface.js';
import { LeaseLifecycle } from '../../lib/core/lease/lease-lifecycle.js';
import { LeaseScheduler } from '../../lib/core/renewal/lease-scheduler.js';
import { monotonicNow } from '../../lib/core/util/clock.util.js';

const plain = { name: 'plain' } as unknown as LeaseDriver;
const permits = { name: 'permits' } as unknown as LeaseDriver;
const validUntil = (sentAt: number, ttl: number): number => sentAt + ttl - 2;

describe('LeaseScheduler (fake timers)', () => {
  let renewals: Array<{ driver: LeaseDriver; leases: LeaseLifecycle[] }>;
  let expired: LeaseLifecycle[];
  let scheduler: LeaseScheduler;
  let start: number;

  beforeEach(() => {
    jest.useFakeTimers();
    start = monotonicNow();
    renewals = [];
    expired = [];
    scheduler = new LeaseScheduler({
      renew: (driver, leases) => {
        // As the keeper does: each lease records its renewal in flight (never answered here).
        for (const lease of leases)
          lease.sendExtension(undefined, monotonicNow(), validUntil, true);
        renewals.push({ driver, leases: [...leases] });
      },
      expired: (lease) => expired.push(lease),
    });
  });
  afterEach(() => {
    scheduler.close();
    jest.useRealTimers();
  });

  function grant(
    at: number,
    ttl: number,
    options: { autoExtend?: boolean; driver?: LeaseDriver } = {},
  ) {
    const sentAt = start + at;
    return new LeaseLifecycle(
      {
        key: `k${at}`,
        keys: [`k${at}`],
        redisKeys: [`lock:k${at}`],
        token: `t${at}`,
        fencingToken: 1,
        ttl,
        sentAt,
        autoExtend: options.autoExtend ?? true,
        driver: options.driver ?? plain,
        kind: 'lock',
        params: undefined,
      },
      sentAt + ttl - 2,
    );
  }

  it('asks for a renewal a third of a ttl after the grant, with one timer for every lease', () => {
    scheduler.add(grant(0, 900));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(299);
    expect(renewals).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(renewals).toHaveLength(1);
  });

  it('batches the leases granted within a sixth of a ttl, and keeps one batch per driver', () => {
    const a = grant(0, 900);
    const b = grant(100, 900);
    const c = grant(50, 900, { driver: permits });
    const late = grant(200, 900);
    for (const lease of [a, b, c, late]) scheduler.add(lease);
    jest.advanceTimersByTime(300);
    expect(renewals.map((r) => [r.driver, r.leases])).toEqual([
      [plain, [a, b]],
      [permits, [c]],
    ]);
    // Still one timer, now for the next event (the lease not yet due).
    expect(jest.getTimerCount()).toBe(1);
  });

  it('reports a lease whose validity ended without a confirmed renewal, once', () => {
    const stuck = grant(0, 600);
    scheduler.add(stuck);
    jest.advanceTimersByTime(200);
    expect(renewals).toHaveLength(1);
    // The renewal in flight is never answered: the lease ends with its validity.
    jest.advanceTimersByTime(397);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([stuck]);
    expect(scheduler.size).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(expired).toEqual([stuck]);
  });

  it('watches the end of the validity of a lease without autoExtend, and renews nothing', () => {
    const once = grant(0, 400, { autoExtend: false });
    scheduler.add(once);
    jest.advanceTimersByTime(397);
    expect(renewals).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([once]);
  });

  it('sends a large batch a slice per event-loop turn', () => {
    const leases = Array.from({ length: 2_500 }, () => grant(0, 900));
    for (const lease of leases) scheduler.add(lease);
    jest.advanceTimersByTime(300);
    expect(renewals.map((r) => r.leases.length)).toEqual([1_024]);
    jest.runOnlyPendingTimers();
    expect(renewals.map((r) => r.leases.length)).toEqual([1_024, 1_024, 452]);
    expect(new Set(renewals.flatMap((r) => r.leases)).size).toBe(2_500);
  });

  it('stops watching a deleted lease at once, and only that one', () => {
    const released = grant(0, 900);
    const kept = grant(10, 900);
    const dead = grant(20, 600, { autoExtend: false });
    for (const lease of [released, kept, dead]) scheduler.add(lease);
    scheduler.delete(released);
    scheduler.delete(dead);
    // Deleting twice, or a lease never added, changes nothing.
    scheduler.delete(released);
    scheduler.delete(grant(30, 900));
    expect([released, kept, dead].map((lease) => scheduler.has(lease))).toEqual([
      false,
      true,
      false,
    ]);
    expect(scheduler.size).toBe(1);
    // The renewal sent for the kept lease is never answered here: it alone ends with its validity.
    jest.advanceTimersByTime(1_000);
    expect(renewals.flatMap((r) => r.leases.map((lease) => lease.token))).toEqual([kept.token]);
    expect(expired.map((lease) => lease.token)).toEqual([kept.token]);
  });

  it('leaves no timer behind once closed, and arms none afterwards', () => {
    scheduler.add(grant(0, 900));
    scheduler.close();
    expect(jest.getTimerCount()).toBe(0);
    scheduler.add(grant(10, 900));
    expect(jest.getTimerCount()).toBe(0);
    expect(scheduler.size).toBe(0);
  });
});
