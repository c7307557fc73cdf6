import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Cluster, Redis } from 'ioredis';
import {
  DistributedLock,
  InvalidLockOptionsError,
  REDIS_LOCK_CLIENT,
  RedisLockModule,
  type RedisLockModuleOptions,
  RedisLockService,
} from '../../lib/index.js';
import { startCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';

@Injectable()
class Transfers {
  constructor(private readonly locks: RedisLockService) {}

  /** Both accounts or neither; the keys live in different slots on a Cluster. */
  @DistributedLock(['account:<from>', 'account:<to>'], { waitTimeout: 5_000 })
  async move(from: string, to: string): Promise<{ fencing: number; keys: readonly string[] }> {
    const lock = this.locks.current()!;
    expect(lock.keys).toEqual([`account:${from}`, `account:${to}`].sort());
    return { fencing: lock.fencingToken, keys: lock.keys };
  }
}

async function boot(options: RedisLockModuleOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [RedisLockModule.forRoot(options)],
    providers: [Transfers],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('the same application code on other topologies', () => {
  afterAll(() => stopAllRedis());

  it('a Redlock quorum from a list of URLs: locks a majority, survives a dead master, closes its connections', async () => {
    const masters: RedisServer[] = await Promise.all([startRedis(), startRedis(), startRedis()]);
    const app = await boot({ url: masters.map((m) => m.url), keyPrefix: 'q:' });
    const transfers = app.get(Transfers);
    const first = await transfers.move('a', 'b');
    expect(first.keys).toEqual(['account:a', 'account:b']);
    await masters[2]!.kill();
    const second = await transfers.move('b', 'a');
    expect(second.fencing).toBeGreaterThan(first.fencing);
    const clients = app.get<Redis[]>(REDIS_LOCK_CLIENT);
    expect(clients).toHaveLength(3);
    await app.close();
    expect(clients.slice(0, 2).map((c) => c.status)).toEqual(['end', 'end']);
    // The connection to the dead master stopped reconnecting: it stays down when it comes back.
    await masters[2]!.restart();
    await new Promise((r) => setTimeout(r, 300));
    expect(clients[2]!.status).not.toBe('ready');
  });

  it('fails at bootstrap on a quorum that cannot be one, saying why', async () => {
    const compiling = Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'] })],
    }).compile();
    await expect(compiling).rejects.toThrow(InvalidLockOptionsError);
  });

  describe('Redis Cluster', () => {
    let cluster: RedisCluster;

    beforeAll(async () => {
      cluster = await startCluster();
    }, 60_000);
    afterAll(() => cluster.stop());

    it('takes multi-key locks across slots through the decorator, and closes the Cluster it created', async () => {
      const nodes = cluster.nodes.slice(0, 3).map((node) => ({ host: node.host, port: node.port }));
      const app = await boot({ cluster: { nodes }, keyPrefix: 'c:' });
      const transfers = app.get(Transfers);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => transfers.move(`u${i % 5}`, `u${(i + 1) % 5}`)),
      );
      expect(results.every((r) => r.keys.length === 2)).toBe(true);
      const client = app.get<Cluster>(REDIS_LOCK_CLIENT);
      await app.close();
      expect(client.status).toBe('end');
    });
  });
});
