import type { LeaseDriver } from '../../lib/core/backend/lease-driver.interface.js';
import { LockLostError } from '../../lib/core/errors/lock-lost.error.js';
import { LockReleasedError } from '../../lib/core/errors/lock-released.error.js';
import { LeaseLifecycle } from '../../lib/core/lease/lease-lifecycle.js';

// The state machine reads no clock and sends nothing: times are passed in, so every transition
// is checked here exactly.
const DRIFT = 2;
const validUntil = (sentAt: number, ttl: number): number => sentAt + ttl - DRIFT;

function lease(ttl = 1_000, autoExtend = true): LeaseLifecycle {
  return new LeaseLifecycle(
    {
      key: 'k',
      keys: ['k'],
      redisKeys: ['lock:k'],
      token: 'token',
      fencingToken: 7,
      ttl,
      sentAt: 0,
      autoExtend,
      driver: {} as LeaseDriver,
      kind: 'lock',
      params: undefined,
    },
    validUntil(0, ttl),
  );
}

describe('LeaseLifecycle', () => {
  it('is held from the grant until the validity the grant gives', () => {
    const l = lease(1_000);
    expect(l.phase).toBe('held');
    expect(l.expiresAt).toBe(998);
    expect(l.isValidAt(997)).toBe(true);
    expect(l.isValidAt(998)).toBe(false);
  });

  it('settles an extension with the ttl of its own command, not the lease’s current ttl', () => {
    const l = lease(1_000);
    const long = l.sendExtension(10_000, 100, validUntil, false)!;
    // A renewal sent after the manual extend uses the ttl the caller asked for.
    const renewal = l.sendExtension(undefined, 200, validUntil, true)!;
    expect(renewal.ttl).toBe(10_000);
    l.confirmExtension(long);
    l.confirmExtension(renewal);
    expect(l.expiresAt).toBe(validUntil(200, 10_000));
  });

  it('lets a later-sent extension win, whatever order the replies come in', () => {
    const first = lease(1_000);
    const a = first.sendExtension(10_000, 100, validUntil, false)!;
    const b = first.sendExtension(500, 200, validUntil, false)!;
    first.confirmExtension(a);
    first.confirmExtension(b);
    expect(first.expiresAt).toBe(validUntil(200, 500));

    const second = lease(1_000);
    const c = second.sendExtension(10_000, 100, validUntil, false)!;
    const d = second.sendExtension(500, 200, validUntil, false)!;
    second.confirmExtension(d);
    // Redis applied c before d (same connection): d's expiry is the one it holds.
    second.confirmExtension(c);
    expect(second.expiresAt).toBe(validUntil(200, 500));
  });

  it('lets an extension in flight bound the validity: Redis may apply it before its reply comes', () => {
    const l = lease(10_000);
    const short = l.sendExtension(300, 100, validUntil, false)!;
    expect(l.expiresAt).toBe(validUntil(100, 300));
    expect(l.isValidAt(500)).toBe(false);
    l.confirmExtension(short);
    expect(l.expiresAt).toBe(validUntil(100, 300));
  });

  it('keeps an unanswered extension as a bound until a later one is confirmed', () => {
    const l = lease(1_000);
    const lost = l.sendExtension(200, 100, validUntil, false)!;
    l.extensionUnanswered(lost, 150);
    expect(l.expiresAt).toBe(validUntil(100, 200));
    const next = l.sendExtension(1_000, 250, validUntil, false)!;
    l.confirmExtension(next);
    expect(l.expiresAt).toBe(validUntil(250, 1_000));
  });

  it('renews a third of a ttl after the last confirmed extension, and soon again after a failure', () => {
    const l = lease(900);
    expect(l.isRenewalDue(149, 1 / 6)).toBe(false);
    expect(l.isRenewalDue(150, 1 / 6)).toBe(true);
    const renewal = l.sendExtension(undefined, 150, validUntil, true)!;
    // One renewal at a time.
    expect(l.isRenewalDue(400, 1 / 6)).toBe(false);
    expect(l.nextEventAt()).toBe(l.expiresAt);
    l.extensionUnanswered(renewal, 160);
    expect(l.nextEventAt()).toBeLessThanOrEqual(160 + 1_000);
    expect(l.nextEventAt()).toBeGreaterThanOrEqual(160 + 25);
    const again = l.sendExtension(undefined, 300, validUntil, true)!;
    l.confirmExtension(again);
    expect(l.nextEventAt()).toBe(300 + 300);
  });

  it('sends nothing once a release began, and ignores replies that come after it', () => {
    const l = lease();
    const renewal = l.sendExtension(undefined, 100, validUntil, true)!;
    expect(l.beginRelease()).toBe(true);
    expect(l.phase).toBe('releasing');
    expect(l.sendExtension(undefined, 120, validUntil, true)).toBeUndefined();
    expect(l.confirmExtension(renewal)).toBe(false);
    expect(l.beginRelease()).toBe(false);
    l.released();
    expect(l.phase).toBe('released');
    expect(l.signal.aborted).toBe(true);
    expect(l.signal.reason).toBeInstanceOf(LockReleasedError);
  });

  it('is lost once, with the reason, and its signal aborts with that LockLostError', () => {
    const l = lease();
    const signal = l.signal;
    expect(l.lose('taken')).toBe(true);
    expect(l.lose('expired')).toBe(false);
    expect(l.phase).toBe('lost');
    expect(signal.reason).toBeInstanceOf(LockLostError);
    expect((signal.reason as LockLostError).reason).toBe('taken');
    expect(l.lostError).toBe(signal.reason);
    // A released lease is over: a late loss changes nothing.
    const done = lease();
    done.beginRelease();
    done.released();
    expect(done.lose('expired')).toBe(false);
    expect(done.phase).toBe('released');
  });

  it('renews nothing without autoExtend, and watches only the end of the validity', () => {
    const l = lease(1_000, false);
    expect(l.isRenewalDue(900, 1 / 6)).toBe(false);
    expect(l.nextEventAt()).toBe(998);
  });

  describe('a grant handed over in Redis (short grant ttl, confirmed by an extension)', () => {
    // Granted for 3,000 ms (the waiters' place ttl); the caller asked for 30,000.
    const granted = (autoExtend: boolean): LeaseLifecycle => {
      const l = lease(3_000, autoExtend);
      l.deferConfirmation(30_000);
      return l;
    };

    it('is confirmed a third of the way into the grant ttl, not at once', () => {
      for (const autoExtend of [true, false]) {
        const l = granted(autoExtend);
        expect(l.renews).toBe(true);
        expect(l.expiresAt).toBe(998 + 2_000);
        expect(l.nextEventAt()).toBe(1_000);
        // Batched with others from a sixth of the grant ttl on, never before.
        expect(l.isRenewalDue(499, 1 / 6)).toBe(false);
        expect(l.isRenewalDue(500, 1 / 6)).toBe(true);
      }
    });

    it('confirms to the full ttl; auto-extended, it renews on the full ttl from then on', () => {
      const l = granted(true);
      const confirm = l.sendExtension(undefined, 1_000, validUntil, true)!;
      expect(confirm.ttl).toBe(30_000);
      expect(l.nextEventAt()).toBe(2_998);
      expect(l.confirmExtension(confirm)).toBe(true);
      expect(l.expiresAt).toBe(validUntil(1_000, 30_000));
      expect(l.nextEventAt()).toBe(11_000);
      expect(l.isRenewalDue(5_999, 1 / 6)).toBe(false);
    });

    it('without autoExtend, the confirmation keeps the expiry a lock taken at the start would have, and nothing is renewed after it', () => {
      const l = granted(false);
      const confirm = l.sendExtension(undefined, 1_000, validUntil, true)!;
      expect(confirm.ttl).toBe(29_000);
      l.confirmExtension(confirm);
      expect(l.renews).toBe(false);
      expect(l.expiresAt).toBe(validUntil(0, 30_000));
      expect(l.nextEventAt()).toBe(validUntil(0, 30_000));
      expect(l.isRenewalDue(20_000, 1 / 6)).toBe(false);
      // Sent in whole milliseconds (Redis refuses a fractional PEXPIRE), rounded down.
      const fractional = granted(false).sendExtension(undefined, 1_000.5, validUntil, true)!;
      expect(fractional.ttl).toBe(28_999);
      // A manual extend without a ttl asks for the caller's full ttl, from its own sending.
      expect(l.sendExtension(undefined, 2_000, validUntil, false)!.ttl).toBe(30_000);
    });

    it('a manual extend confirms it too', () => {
      const l = granted(false);
      const manual = l.sendExtension(undefined, 200, validUntil, false)!;
      expect(manual.ttl).toBe(30_000);
      l.confirmExtension(manual);
      expect(l.renews).toBe(false);
      expect(l.expiresAt).toBe(validUntil(200, 30_000));
    });

    it('an unanswered confirmation is tried again soon, while the grant lasts', () => {
      const l = granted(false);
      const confirm = l.sendExtension(undefined, 1_000, validUntil, true)!;
      l.extensionUnanswered(confirm, 1_100);
      expect(l.renews).toBe(true);
      const next = l.nextEventAt();
      expect(next).toBeGreaterThan(1_100);
      expect(next).toBeLessThan(l.expiresAt);
      expect(l.isRenewalDue(next, 1 / 6)).toBe(true);
    });
  });
});
