// Issue 13, defect 3: a release runs on Redis, its reply is lost with the connection, and
// ioredis resends it on the new connection. The resent release finds its own key already
// deleted: that is a successful release, for every kind of lease, not a lost lock.
import type { Redis } from 'ioredis';
import { type Lease, LockManager } from '../../../lib/core/index.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import { type RedisServer, startRedis, stopAllRedis } from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';

const SCRIPTS = new Set(['evalsha', 'eval']);
const isScript = (command: readonly string[]): boolean => SCRIPTS.has(command[0]!.toLowerCase());

/** How each kind of lease is taken, and how another caller proves it was given back. */
interface LeaseKindCase {
  readonly take: (manager: LockManager, key: string) => Promise<Lease>;
  readonly takeAgain: (manager: LockManager, key: string) => Promise<Lease | null>;
}

const CASES: Record<string, LeaseKindCase> = {
  'plain lock': {
    take: (m, key) => m.acquire(key),
    takeAgain: (m, key) => m.tryAcquire(key),
  },
  'multi-key lock': {
    take: (m, key) => m.acquire([`${key}:a`, `${key}:b`]),
    takeAgain: (m, key) => m.tryAcquire([`${key}:a`, `${key}:b`]),
  },
  'fair lock': {
    take: (m, key) => m.acquire(key, { fair: true }),
    takeAgain: (m, key) => m.tryAcquire(key, { fair: true }),
  },
  'read lock': {
    take: (m, key) => m.readWriteLock(key).read(),
    takeAgain: (m, key) => m.readWriteLock(key).tryWrite(),
  },
  'write lock': {
    take: (m, key) => m.readWriteLock(key).write(),
    takeAgain: (m, key) => m.readWriteLock(key).tryWrite(),
  },
  'semaphore permit': {
    take: (m, key) => m.semaphore(key, { permits: 1 }).acquire(),
    takeAgain: (m, key) => m.semaphore(key, { permits: 1 }).tryAcquire(),
  },
};

describe('a release whose reply is lost to a reconnect still succeeds', () => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  let proxy: FaultProxy;
  let direct: Redis;
  let manager: LockManager;
  let other: LockManager;

  beforeAll(async () => {
    server = await startRedis();
    proxy = await startFaultProxy({ targetPort: server.port });
    direct = server.client();
    manager = new LockManager(server.client({ port: proxy.port }));
    other = new LockManager(direct);
  });
  afterAll(async () => {
    await manager.close();
    await other.close();
    await proxy.close();
    await server.stop();
    await stopAllRedis();
  });
  afterEach(() => expect(unhandled).toEqual([]));

  it.each(Object.keys(CASES))(
    '%s: release() resolves, and the lease is free for the next caller',
    async (kind) => {
      const { take, takeAgain } = CASES[kind]!;
      const key = `lost-reply:${kind.replace(/ /g, '-')}`;
      const lease = await take(manager, key);
      // The next script command is the release: it runs, its reply is dropped, it is resent.
      const dropped = proxy.dropReply(isScript);
      const outcome = await lease.release().then(
        () => 'released',
        (error: Error) => `${error.name}: ${error.message}`,
      );
      expect((await dropped)?.[0]?.toLowerCase()).toMatch(/^eval/);
      expect(outcome).toBe('released');
      const next = await takeAgain(other, key);
      expect(next).not.toBeNull();
      await next!.release();
    },
  );

  it('withLock() returns the result of work that completed under the lock', async () => {
    const result = manager.withLock('lost-reply:with-lock', () => {
      void proxy.dropReply(isScript);
      return 'done';
    });
    await expect(result).resolves.toBe('done');
    expect(await direct.exists('lock:lost-reply:with-lock')).toBe(0);
  });
});
