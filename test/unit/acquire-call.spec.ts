import {
  InMemoryLockStore,
  LockAbortedError,
  type LockAcquiredEvent,
  LockLostError,
  LockManager,
  LockManagerClosedError,
  LockTimeoutError,
  type LockWaitEndedEvent,
} from '../../lib/core/index.js';

// The acquire loop and the lease lifecycle on the in-memory store, under fake timers: every
// wait, expiry and renewal happens on the fake clock, deterministically, with no real sleep.
describe('the acquire call and the lease lifecycle (in memory, fake timers)', () => {
  let store: InMemoryLockStore;
  let holder: LockManager;
  /** Polls once a minute at most: a waiter that gets in quickly was woken, not polling. */
  let waiter: LockManager;

  beforeEach(() => {
    jest.useFakeTimers();
    store = new InMemoryLockStore();
    holder = new LockManager(store);
    waiter = new LockManager(store, { retry: { minDelay: 60_000, maxDelay: 60_000 } });
  });
  afterEach(async () => {
    await Promise.all([holder.close(), waiter.close()]);
    jest.useRealTimers();
  });

  it('takes a free lock in one attempt; tryAcquire of a held one is null at once', async () => {
    const acquired: LockAcquiredEvent[] = [];
    holder.on('acquired', (event) => acquired.push(event));
    const lock = await holder.acquire('job');
    expect(acquired).toMatchObject([{ key: 'job', attempts: 1 }]);
    expect(await waiter.tryAcquire('job')).toBeNull();
    await lock.release();
    expect(store.size).toBe(0);
  });

  it('wakes a waiter on the release, not on a poll', async () => {
    const lock = await holder.acquire('job', { ttl: 30_000 });
    const acquired: LockAcquiredEvent[] = [];
    waiter.on('acquired', (event) => acquired.push(event));
    const waiting = waiter.acquire('job', { waitTimeout: 120_000 });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(acquired).toEqual([]);
    await lock.release();
    await jest.advanceTimersByTimeAsync(0);
    const next = await waiting;
    // The first attempt, one more once subscribed (a release before it would be missed), and
    // the one the release's announcement woke: no poll in between.
    expect(acquired).toMatchObject([{ key: 'job', attempts: 3 }]);
    expect(acquired[0]!.waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(acquired[0]!.waitedMs).toBeLessThan(1_100);
    expect(next.fencingToken).toBeGreaterThan(lock.fencingToken);
    await next.release();
  });

  it('gives up after waitTimeout with LockTimeoutError, saying the lock was held', async () => {
    await holder.acquire('job', { ttl: 60_000 });
    const ended: LockWaitEndedEvent[] = [];
    waiter.on('waitEnded', (event) => ended.push(event));
    const waiting = waiter.acquire('job', { waitTimeout: 500 }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(499);
    expect(ended).toEqual([]);
    await jest.advanceTimersByTimeAsync(2);
    const error = await waiting;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).cause).toBeUndefined();
    expect(ended).toMatchObject([{ key: 'job', outcome: 'timeout' }]);
  });

  it('stops waiting when the signal aborts, holding nothing', async () => {
    await holder.acquire('job', { ttl: 60_000 });
    const controller = new AbortController();
    const waiting = waiter
      .acquire('job', { waitTimeout: 10_000, signal: controller.signal })
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(50);
    controller.abort(new Error('client went away'));
    expect(await waiting).toBeInstanceOf(LockAbortedError);
    expect(waiter.heldCount).toBe(0);
  });

  it('ends a wait in progress when the manager closes, and leaves no timer behind', async () => {
    await holder.acquire('job', { ttl: 60_000 });
    const waiting = waiter.acquire('job', { waitTimeout: 10_000 }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(10);
    await waiter.close();
    expect(await waiting).toBeInstanceOf(LockManagerClosedError);
    await expect(waiter.acquire('other')).rejects.toBeInstanceOf(LockManagerClosedError);
    await holder.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('renews with autoExtend as long as the holder lives; without it the lock ends with its ttl', async () => {
    const lost: LockLostError[] = [];
    holder.on('lost', ({ error }) => lost.push(error));
    const renewed = await holder.acquire('renewed', { ttl: 300, autoExtend: true });
    const once = await holder.acquire('once', { ttl: 300 });
    await jest.advanceTimersByTimeAsync(2_000);
    expect(renewed.isHeld).toBe(true);
    expect(once.isHeld).toBe(false);
    expect(lost.map((e) => [e.key, e.reason])).toEqual([['once', 'expired']]);
    expect(await waiter.tryAcquire('renewed')).toBeNull();
    await renewed.release();
  });

  it('keeps renewing every lease of a batch when a listener throws, and reports the listener', async () => {
    const warnings: string[] = [];
    const warn = jest
      .spyOn(process, 'emitWarning')
      .mockImplementation((warning: string | Error) => void warnings.push(String(warning)));
    holder.on('extended', () => {
      throw new Error('a broken logger');
    });
    holder.on('lost', () => Promise.reject(new Error('an async listener that rejects')));
    const locks = await Promise.all(
      ['a', 'b', 'c'].map((key) => holder.acquire(key, { ttl: 300, autoExtend: true })),
    );
    await jest.advanceTimersByTimeAsync(1_500);
    expect(locks.every((lock) => lock.isHeld)).toBe(true);
    expect(warnings.some((w) => w.includes('a broken logger'))).toBe(true);
    await store.clear();
    await jest.advanceTimersByTimeAsync(1_000);
    // Every lock saw its loss; the rejecting listener became a warning, not a crash.
    expect(locks.every((lock) => lock.signal.reason instanceof LockLostError)).toBe(true);
    expect(warnings.some((w) => w.includes('an async listener that rejects'))).toBe(true);
    warn.mockRestore();
  });

  it('refuses extend() and release() once released, and reports a loss from release()', async () => {
    const lock = await holder.acquire('job', { ttl: 300 });
    await lock.release();
    await expect(lock.extend()).rejects.toThrow('released');
    await expect(lock.release()).resolves.toBeUndefined();
    const other = await holder.acquire('job', { ttl: 300 });
    await jest.advanceTimersByTimeAsync(400);
    const error = await other.release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as LockLostError).reason).toBe('expired');
  });
});
