// Issue 13, defect 9: checkHealth() must not say healthy where locks cannot work: a read-only
// replica, a user that may not publish the release announcements, a server that may evict lock
// keys under memory pressure. It must say what to change. And a server that refuses a lock
// command outright (READONLY, NOPERM) fails the acquire at once, naming the cause, instead of
// being retried until waitTimeout as if it were unreachable.
//
// Exact error classes and health fields are the engine's to choose: these tests hold it to the
// essentials (not healthy, names the fix, fails on the first attempt with the real cause).
import { LockManager } from '../../../lib/core/index.js';
import { type RedisServer, startRedis, stopAllRedis } from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';

/** Script calls a server ran or refused, from INFO commandstats. */
async function scriptCalls(server: RedisServer): Promise<number> {
  const info = String(await server.command('INFO', 'commandstats'));
  let total = 0;
  for (const match of info.matchAll(
    /^cmdstat_(?:eval|evalsha):calls=(\d+).*?rejected_calls=(\d+)/gm,
  )) {
    total += Number(match[1]) + Number(match[2]);
  }
  return total;
}

describe('checkHealth() reports what keeps locks from working, and says what to change', () => {
  const unhandled = recordUnhandledRejections();
  afterEach(() => expect(unhandled).toEqual([]));
  afterAll(() => stopAllRedis());

  describe('a read-only replica', () => {
    let master: RedisServer;
    let replica: RedisServer;
    let manager: LockManager;

    beforeAll(async () => {
      master = await startRedis();
      replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
      manager = new LockManager(replica.client());
    });
    afterAll(async () => {
      await manager.close();
      await replica.stop();
      await master.stop();
    });

    it('is not healthy, and the report says it is a read-only replica', async () => {
      const health = await manager.checkHealth();
      expect(health.healthy).toBe(false);
      expect(JSON.stringify(health)).toMatch(/replica|read-only|readonly/i);
    });

    it('acquire fails on its first attempt with the real cause (READONLY), not after waitTimeout', async () => {
      const before = await scriptCalls(replica);
      const error = await manager
        .acquire('on-replica', { waitTimeout: 3_000 })
        .catch((e: unknown) => e);
      const attempts = (await scriptCalls(replica)) - before;
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/READONLY|read-only replica/i);
      expect((error as Error).message).not.toMatch(/Check that Redis is reachable/);
      // One attempt: EVALSHA answered NOSCRIPT, then EVAL (or EVAL alone).
      expect(attempts).toBeLessThanOrEqual(2);
    });
  });

  describe('a user without pub/sub permission', () => {
    let server: RedisServer;
    let manager: LockManager;

    beforeAll(async () => {
      server = await startRedis();
      await server.command('ACL', 'SETUSER', 'app', 'on', '>pw', '~*', '+@all');
      manager = new LockManager(server.client({ username: 'app', password: 'pw' }));
    });
    afterAll(async () => {
      await manager.close();
      await server.stop();
    });

    it('the report names the missing ACL rule (channels: &*)', async () => {
      const health = await manager.checkHealth();
      expect(JSON.stringify(health)).toMatch(/&\*/);
    });
  });

  describe('a user without scripting permission', () => {
    let server: RedisServer;
    let manager: LockManager;

    beforeAll(async () => {
      server = await startRedis();
      await server.command(
        'ACL',
        'SETUSER',
        'app',
        'on',
        '>pw',
        '~*',
        '&*',
        '+@all',
        '-@scripting',
      );
      manager = new LockManager(server.client({ username: 'app', password: 'pw' }));
    });
    afterAll(async () => {
      await manager.close();
      await server.stop();
    });

    it('is not healthy', async () => {
      const health = await manager.checkHealth();
      expect(health.healthy).toBe(false);
      expect(JSON.stringify(health)).toMatch(/NOPERM|permission/i);
    });

    it('acquire fails on its first attempt with the real cause (NOPERM)', async () => {
      const before = await scriptCalls(server);
      const error = await manager.acquire('no-scripts', { waitTimeout: 3_000 }).catch((e) => e);
      const attempts = (await scriptCalls(server)) - before;
      expect((error as Error).message).toMatch(/NOPERM/);
      expect(attempts).toBeLessThanOrEqual(2);
    });
  });

  describe.each(['allkeys-lru', 'volatile-ttl'])(
    'maxmemory set with the eviction policy %s',
    (policy) => {
      let server: RedisServer;
      let manager: LockManager;

      beforeAll(async () => {
        server = await startRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', policy] });
        manager = new LockManager(server.client());
      });
      afterAll(async () => {
        await manager.close();
        await server.stop();
      });

      it('is not healthy: lock keys could be evicted; the report names noeviction', async () => {
        const health = await manager.checkHealth();
        expect(health.healthy).toBe(false);
        expect(JSON.stringify(health)).toMatch(/noeviction/);
      });
    },
  );

  describe('maxmemory set with noeviction', () => {
    let server: RedisServer;
    let manager: LockManager;

    beforeAll(async () => {
      server = await startRedis({
        args: ['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction'],
      });
      manager = new LockManager(server.client());
    });
    afterAll(async () => {
      await manager.close();
      await server.stop();
    });

    it('is healthy: a full server refuses new locks, it never drops held ones', async () => {
      const health = await manager.checkHealth();
      expect(health).toMatchObject({ healthy: true });
    });
  });
});
