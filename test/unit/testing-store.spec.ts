import {
  InvalidLockOptionsError,
  Lock,
  LockManager,
  Permit,
  ReadWriteLock,
  Semaphore,
} from '../../lib/core/index.js';
import { InMemoryLockStore } from '../../lib/testing/index.js';

// The testing entry point: the in-memory store, holding a key from outside, and the engine's
// options that the in-memory backend honours (list's count) or refuses.
describe('nestjs-redis-lock/testing', () => {
  let store: InMemoryLockStore;
  let manager: LockManager;

  beforeEach(() => {
    store = new InMemoryLockStore();
    manager = new LockManager(store);
  });
  afterEach(() => manager.close());

  it('holds a key from outside until released, as another process would', async () => {
    const held = store.hold('job:nightly', { owner: 'other-process' });
    expect(await manager.tryAcquire('job:nightly')).toBeNull();
    expect(await manager.inspect('job:nightly')).toEqual({
      key: 'job:nightly',
      held: true,
      ttl: -1,
      fencingToken: held.fencingToken,
      owner: 'other-process',
    });
    expect(held.release()).toBe(true);
    expect(held.release()).toBe(false);
    const lock = await manager.acquire('job:nightly');
    expect(lock.fencingToken).toBeGreaterThan(held.fencingToken);
    await lock.release();
  });

  it('wakes a waiter when the outside hold is released', async () => {
    const held = store.hold('report', { ttl: 60_000 });
    const waiting = manager.acquire('report', { waitTimeout: 20_000 });
    await Promise.resolve();
    held.release();
    const lock = await waiting;
    expect(lock.isHeld).toBe(true);
    await lock.release();
  });

  it('lets a hold expire after its ttl on the fake clock', async () => {
    jest.useFakeTimers();
    try {
      store.hold('short', { ttl: 1_000 });
      expect(await manager.tryAcquire('short')).toBeNull();
      jest.advanceTimersByTime(1_000);
      const lock = await manager.tryAcquire('short');
      expect(lock?.isHeld).toBe(true);
      await lock?.release();
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a second hold of a held key and bad options with typed errors', () => {
    store.hold('taken');
    expect(() => store.hold('taken')).toThrow(InvalidLockOptionsError);
    expect(() => store.hold('taken')).toThrow(/already held/);
    expect(() => store.hold('x', { ttl: -1 })).toThrow(InvalidLockOptionsError);
    expect(() => store.hold('x', { tll: 5 } as never)).toThrow(/Unknown hold\(\) option "tll"/);
    expect(() => store.hold('', {})).toThrow(InvalidLockOptionsError);
  });

  it('lists with the glob first and a SCAN count, or in the older form', async () => {
    for (const key of ['a', 'b', 'c', 'd', 'e']) store.hold(key);
    const found: string[] = [];
    const listing = manager.list('*', { count: 2 });
    for await (const lock of listing) found.push(lock.key);
    expect(found.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The older form still works, with its glob among the options.
    const older: string[] = [];
    for await (const lock of manager.list({ match: '[ab]' })) older.push(lock.key);
    expect(older.sort()).toEqual(['a', 'b']);
  });

  it('makes handles only through a manager', () => {
    // Each line is a compile error (checked by `npm run typecheck`): the constructors are
    // private, so the published types offer no `new` that would crash at run time.
    const attempts = [
      // @ts-expect-error Lock has no public constructor
      () => new Lock(),
      // @ts-expect-error Permit has no public constructor
      () => new Permit(),
      // @ts-expect-error Semaphore comes from manager.semaphore()
      () => new Semaphore(),
      // @ts-expect-error ReadWriteLock comes from manager.readWriteLock()
      () => new ReadWriteLock(),
    ];
    expect(attempts).toHaveLength(4);
    expect(manager.semaphore('pool', { permits: 2 })).toBeInstanceOf(Semaphore);
    expect(manager.readWriteLock('config')).toBeInstanceOf(ReadWriteLock);
  });
});
