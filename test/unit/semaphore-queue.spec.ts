import {
  InMemoryLockStore,
  type LockAcquiredEvent,
  type LockExtendedEvent,
  LockManager,
} from '../../lib/core/index.js';
import { InMemoryBackend } from '../../lib/core/memory/in-memory-backend.js';
import { keyspaceOf } from '../../lib/core/memory/memory-keyspace.js';

/** `waiting`, marked as handled: a failing test must not leave the close's rejection unhandled. */
function handled<T>(waiting: Promise<T>): Promise<T> {
  waiting.catch(() => undefined);
  return waiting;
}

// The semaphore's queue and grants on the in-memory store, under fake timers: every wait, place
// and grant expiry happens on the fake clock, deterministically.
describe('semaphore queue (in memory, fake timers)', () => {
  let store: InMemoryLockStore;
  let holder: LockManager;
  /** Polls once a minute at most: a waiter that gets in sooner was granted, not polling. */
  let waiter: LockManager;
  const waiterTtl = 1_500;

  beforeEach(() => {
    jest.useFakeTimers();
    store = new InMemoryLockStore();
    holder = new LockManager(store);
    waiter = new LockManager(store, { retry: { minDelay: 60_000, maxDelay: 60_000 }, waiterTtl });
  });
  afterEach(async () => {
    await Promise.all([holder.close(), waiter.close()]);
    jest.useRealTimers();
  });

  const places = (key: string) => [
    ...(keyspaceOf(store).semaphoreQueues.get(`lock:${key}`)?.places.values() ?? []),
  ];

  it('serves a waiter with the grant itself: no attempt for it, no fencing token, confirmed a third of the way into the grant ttl', async () => {
    const permit = await holder.semaphore('pool', { permits: 1 }).acquire({ ttl: 30_000 });
    const acquired: LockAcquiredEvent[] = [];
    const extended: LockExtendedEvent[] = [];
    waiter.on('acquired', (event) => acquired.push(event));
    waiter.on('extended', (event) => extended.push(event));
    const waiting = handled(
      waiter.semaphore('pool', { permits: 1 }).acquire({ waitTimeout: 120_000, ttl: 30_000 }),
    );
    await jest.advanceTimersByTimeAsync(100);
    expect(places('pool')).toHaveLength(1);
    await permit.release();
    await jest.advanceTimersByTimeAsync(0);
    const next = await waiting;
    // The attempt that queued it and the look once subscribed; the grant needed none.
    expect(acquired).toMatchObject([{ key: 'pool', attempts: 2, fencingToken: 0 }]);
    expect(extended).toEqual([]);
    await jest.advanceTimersByTimeAsync(waiterTtl / 3);
    // Without autoExtend, to end when a permit taken at its last look would have.
    expect(extended).toMatchObject([{ key: 'pool', automatic: true }]);
    expect(extended[0]!.ttl).toBeGreaterThan(29_000);
    // Held past the grant ttl: the confirmation made it a permit of its own ttl.
    await jest.advanceTimersByTimeAsync(waiterTtl * 2);
    expect(next.isHeld).toBe(true);
    await next.release();
    expect(store.size).toBe(0);
  });

  it('a waiter that died in the queue costs the next one at most its grant ttl', async () => {
    const driver = new InMemoryBackend(keyspaceOf(store), 'lock:', waiterTtl).primitives()
      .semaphore;
    const permit = await holder.semaphore('pool', { permits: 2 }).acquire({ weight: 2 });
    // A waiter that queues once and never looks again: its process died.
    const params = { weight: 2, limit: 2 };
    const reply = await driver.acquire(['lock:pool'], 'dead', 30_000, '', params, 'dead.1');
    expect(reply).toMatchObject({ acquired: false });
    const acquired: LockAcquiredEvent[] = [];
    waiter.on('acquired', (event) => acquired.push(event));
    const waiting = handled(
      waiter.semaphore('pool', { permits: 2 }).acquire({ waitTimeout: 120_000 }),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(places('pool')).toHaveLength(2);
    // The release grants the dead waiter both permits, until its place ends.
    await permit.release();
    await jest.advanceTimersByTimeAsync(waiterTtl - 1);
    expect(acquired).toEqual([]);
    // Its grant lapses unconfirmed, at the end of its place: the live waiter's next look (due
    // then) takes the permits.
    await jest.advanceTimersByTimeAsync(2);
    expect(acquired).toMatchObject([{ key: 'pool' }]);
    expect(acquired[0]!.waitedMs).toBeLessThanOrEqual(waiterTtl + 1);
    await (await waiting).release();
  });

  it('a grant announced late (older than the look that queued the waiter) is not taken', async () => {
    const permit = await holder.semaphore('pool', { permits: 1 }).acquire({ ttl: 60_000 });
    const waiting = handled(
      waiter.semaphore('pool', { permits: 1 }).acquire({ waitTimeout: 120_000 }),
    );
    let settled = false;
    void waiting.then(() => (settled = true));
    await jest.advanceTimersByTimeAsync(10);
    const [place] = places('pool');
    // Grants count from the store's counter: 1 is older than any look that queued the waiter.
    keyspaceOf(store).publish('lock:pool', `grant:${place!.id}:1`);
    await jest.advanceTimersByTimeAsync(100);
    expect(settled).toBe(false);
    expect(permit.isHeld).toBe(true);
    expect(places('pool')).toHaveLength(1);
    await permit.release();
    await jest.advanceTimersByTimeAsync(0);
    await (await waiting).release();
    expect(store.size).toBe(0);
  });
});
