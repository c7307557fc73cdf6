import { setTimeout as sleep } from 'node:timers/promises';
import {
  InMemoryLockStore,
  LockAbortedError,
  LockLostError,
  LockManager,
  type LockManagerOptions,
  LockTimeoutError,
  SemaphoreLimitMismatchError,
} from '../../lib/core/index.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  createClient,
  type TestClient,
} from '../support/lock-clients.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';

/**
 * One behavioural suite, run on a real Redis through every client library the engine supports
 * (ioredis 6 and 5, iovalkey, node-redis 6 and 5, RESP2 and RESP3) and on the in-memory store,
 * through the public API only: neither a client adapter nor the in-memory backend users test
 * their services with can drift from the others.
 */
type Backend = ClientKind | 'memory';

// Slow polling: a waiter served in time was woken by the release.
const NO_POLLING = { minDelay: 30_000, maxDelay: 30_000 };

describe.each<Backend>([...CLIENT_KINDS, 'memory'])('behaviour on %s', (backend) => {
  let server: RedisServer | undefined;
  let clients: TestClient[] = [];
  let store: InMemoryLockStore;
  let managers: LockManager[] = [];

  beforeAll(async () => {
    if (backend !== 'memory') server = await startRedis();
  });
  beforeEach(() => {
    store = new InMemoryLockStore();
  });
  afterEach(async () => {
    await Promise.all(managers.map((m) => m.close()));
    managers = [];
    await Promise.all(clients.map((client) => client.close()));
    clients = [];
  });
  afterAll(() => stopAllRedis());

  /** A manager of its own, as another instance of the application would have. */
  function instance(options?: LockManagerOptions): LockManager {
    let manager: LockManager;
    if (backend !== 'memory') {
      const client = createClient(backend, server!.port);
      clients.push(client);
      manager = new LockManager(client.client, options);
    } else {
      manager = new LockManager(store, options);
    }
    managers.push(manager);
    return manager;
  }

  it('excludes other instances, and hands the lock over on release with a larger fencing token', async () => {
    const a = instance();
    const b = instance();
    const lock = await a.acquire('b:1');
    expect(lock.isHeld).toBe(true);
    expect(await b.tryAcquire('b:1')).toBeNull();
    await lock.release();
    const next = await b.tryAcquire('b:1');
    expect(next).not.toBeNull();
    expect(next!.fencingToken).toBeGreaterThan(lock.fencingToken);
    await next!.release();
  });

  it('wakes a waiter when the holder releases', async () => {
    const a = instance();
    const b = instance({ retry: NO_POLLING });
    const lock = await a.acquire('b:wake');
    const waiting = b.acquire('b:wake', { waitTimeout: 10_000 });
    await sleep(30);
    await lock.release();
    const next = await waiting;
    expect(next.isHeld).toBe(true);
    await next.release();
  });

  it('gives up after waitTimeout with LockTimeoutError, and on abort with LockAbortedError', async () => {
    const a = instance();
    const b = instance();
    const lock = await a.acquire('b:busy');
    const timeout = await b.acquire('b:busy', { waitTimeout: 60 }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(LockTimeoutError);
    expect((timeout as LockTimeoutError).waitedMs).toBeGreaterThanOrEqual(60);
    const controller = new AbortController();
    const aborted = b.acquire('b:busy', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toBeInstanceOf(LockAbortedError);
    await lock.release();
  });

  it('lets another instance in once the ttl runs out, and tells the old holder', async () => {
    const a = instance();
    const b = instance({ retry: NO_POLLING });
    const stale = await a.acquire('b:ttl', { ttl: 60 });
    const fresh = await b.acquire('b:ttl', { waitTimeout: 5_000 });
    expect(fresh.fencingToken).toBeGreaterThan(stale.fencingToken);
    const error = await stale.release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect(await instance().tryAcquire('b:ttl')).toBeNull();
    await fresh.release();
  });

  it('renews with autoExtend and withLock, past the ttl', async () => {
    // A ttl a loaded machine's timers can keep (renewal at a third of it), three times over.
    const a = instance();
    const result = await a.withLock(
      'b:long',
      async (lock) => {
        await sleep(750);
        expect(await instance().tryAcquire('b:long')).toBeNull();
        return lock.signal.aborted;
      },
      { ttl: 250 },
    );
    expect(result).toBe(false);
    const held = await a.acquire('b:auto', { ttl: 250, autoExtend: true });
    await sleep(750);
    expect(held.isHeld).toBe(true);
    await held.release();
  });

  it('takes several keys all or none', async () => {
    const a = instance();
    const b = instance();
    const one = await a.acquire('acct:2');
    expect(await b.tryAcquire(['acct:1', 'acct:2'])).toBeNull();
    expect(await a.tryAcquire('acct:1')).not.toBeNull();
    await one.release();
  });

  it('reports a lock taken by force as lost, and inspect shows the holder', async () => {
    const a = instance({ owner: 'worker-7' });
    const b = instance();
    const lock = await a.acquire('b:ops', { ttl: 5_000 });
    const info = await b.inspect('b:ops');
    expect(info).toMatchObject({ held: true, fencingToken: lock.fencingToken, owner: 'worker-7' });
    expect(info.ttl).toBeGreaterThan(4_000);
    expect(await b.forceRelease('b:ops')).toBe(true);
    expect((await b.inspect('b:ops')).held).toBe(false);
    await expect(lock.extend()).rejects.toBeInstanceOf(LockLostError);
  });

  it('lists the held plain and fair locks by pattern; forceRelease with a fencing token spares a new holder', async () => {
    const a = instance({ owner: 'web-1' });
    const b = instance({ owner: 'web-2' });
    const plain = await a.acquire('b:list:plain', { ttl: 5_000 });
    const fair = await b.acquire('b:list:fair', { fair: true });
    const permit = await a.semaphore('b:list:sem', { permits: 2 }).acquire();
    const read = await b.readWriteLock('b:list:rw').read();
    await a.acquire('b:other');
    const listed = [];
    for await (const lock of b.list({ match: 'b:list:*' })) listed.push(lock);
    expect(listed.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      {
        key: 'b:list:fair',
        held: true,
        ttl: expect.any(Number),
        fencingToken: fair.fencingToken,
        owner: 'web-2',
      },
      {
        key: 'b:list:plain',
        held: true,
        ttl: expect.any(Number),
        fencingToken: plain.fencingToken,
        owner: 'web-1',
      },
    ]);
    expect(listed[1]!.ttl).toBeLessThanOrEqual(5_000);

    // The operator looked at `plain`; meanwhile it changed hands.
    await b.forceRelease('b:list:plain');
    const next = await b.acquire('b:list:plain');
    expect(await a.forceRelease('b:list:plain', { fencingToken: plain.fencingToken })).toBe(false);
    expect((await a.inspect('b:list:plain')).fencingToken).toBe(next.fencingToken);
    expect(await a.forceRelease('b:list:plain', { fencingToken: next.fencingToken })).toBe(true);
    expect((await a.checkHealth()).healthy).toBe(true);
    await Promise.all([fair.release(), permit.release(), read.release()]);
  });

  it('semaphore: at most N permits at once, weights count, limits must agree', async () => {
    const a = instance();
    const b = instance();
    const first = await a.semaphore('b:sem', { permits: 3 }).acquire({ weight: 2 });
    expect(await b.semaphore('b:sem', { permits: 3 }).tryAcquire({ weight: 2 })).toBeNull();
    const small = await b.semaphore('b:sem', { permits: 3 }).tryAcquire();
    expect(small).not.toBeNull();
    await expect(b.semaphore('b:sem', { permits: 4 }).tryAcquire()).rejects.toBeInstanceOf(
      SemaphoreLimitMismatchError,
    );
    await first.release();
    const again = await b.semaphore('b:sem', { permits: 3 }).tryAcquire({ weight: 2 });
    expect(again).not.toBeNull();
    await again!.release();
    await small!.release();
  });

  it('read-write lock: readers share, a writer waits for them and keeps new readers out', async () => {
    const a = instance();
    const b = instance({ retry: NO_POLLING });
    const rw = (m: LockManager) => m.readWriteLock('b:report');
    const r1 = await rw(a).read();
    const r2 = await rw(b).read();
    const writing = rw(b).write({ waitTimeout: 5_000 });
    await sleep(30);
    // The writer waits: new readers do not get in.
    expect(await rw(a).tryRead()).toBeNull();
    await r1.release();
    await r2.release();
    const writer = await writing;
    expect(writer.fencingToken).toBeGreaterThan(0);
    expect(await rw(a).tryRead()).toBeNull();
    await writer.release();
    const reader = await rw(a).tryRead();
    expect(reader).not.toBeNull();
    await reader!.release();
  });

  it('fair lock: waiters get it in the order they asked', async () => {
    const holder = instance();
    const lock = await holder.acquire('b:fair', { fair: true });
    const order: number[] = [];
    const waiters = [0, 1, 2].map(async (i) => {
      await sleep(15 * i);
      const got = await instance({ retry: NO_POLLING }).acquire('b:fair', {
        fair: true,
        waitTimeout: 10_000,
      });
      order.push(i);
      await sleep(5);
      await got.release();
    });
    await sleep(80);
    await lock.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2]);
  });
});

describe('InMemoryLockStore', () => {
  it('leaves nothing behind once every lock is released, and clear() forgets everything', async () => {
    const store = new InMemoryLockStore();
    const manager = new LockManager(store);
    const locks = await Promise.all(
      Array.from({ length: 100 }, (_, i) => manager.acquire(`k:${i}`, { autoExtend: true })),
    );
    expect(store.size).toBe(100);
    await Promise.all(locks.map((lock) => lock.release()));
    expect(store.size).toBe(0);
    await manager.acquire('forgotten');
    store.clear();
    expect(store.size).toBe(0);
    await manager.close();
  });

  it('locks only within the process: two stores do not see each other', async () => {
    const a = new LockManager(new InMemoryLockStore());
    const b = new LockManager(new InMemoryLockStore());
    await a.acquire('job');
    expect(await b.tryAcquire('job')).not.toBeNull();
    await a.close();
    await b.close();
  });
});
