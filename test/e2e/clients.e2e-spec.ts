import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DistributedLock,
  InvalidLockOptionsError,
  REDIS_LOCK_CLIENT,
  RedisLockModule,
  type RedisLockModuleOptions,
  RedisLockService,
} from '../../lib/index.js';
import { connectClient, type ClientKind, type TestClient } from '../support/lock-clients.js';
import { startCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';

/** A read-modify-write that loses updates unless the lock serializes it. */
@Injectable()
class Counter {
  value = 0;
  /** One value per lock name: calls under different names may run at once. */
  readonly values = new Map<string, number>();
  fencing: number[] = [];

  constructor(private readonly locks: RedisLockService) {}

  @DistributedLock('counter:<name>', { waitTimeout: 10_000 })
  async increment(name: string): Promise<void> {
    const read = this.values.get(name) ?? 0;
    await sleep(2);
    this.values.set(name, read + 1);
    this.value = [...this.values.values()].reduce((a, b) => a + b, 0);
    this.fencing.push(this.locks.current()!.fencingToken);
  }
}

async function boot(options: RedisLockModuleOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [RedisLockModule.forRoot(options)],
    providers: [Counter],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

async function countConnections(server: RedisServer): Promise<number> {
  const list = String(await server.command('CLIENT', 'LIST'));
  // Less the short-lived connection that asks.
  return list.trim().split('\n').length - 1;
}

/** Runs 30 increments at once through the decorator: each one inside the lock. */
async function contend(app: INestApplication): Promise<Counter> {
  const counter = app.get(Counter);
  await Promise.all(Array.from({ length: 30 }, () => counter.increment('shared')));
  return counter;
}

describe('the Nest module on every client library', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => stopAllRedis());

  describe.each<ClientKind>(['iovalkey', 'node-redis 6 (RESP3)', 'node-redis 5 (RESP2)'])(
    'a %s client the application owns',
    (kind) => {
      let made: TestClient;

      beforeEach(async () => {
        made = await connectClient(kind, server.port);
      });
      afterEach(() => made.close());

      it('serializes decorated calls, opens its own pub/sub connection and never closes the client', async () => {
        const before = await countConnections(server);
        const app = await boot({ client: made.client, keyPrefix: `${kind}:` });
        expect(app.get(REDIS_LOCK_CLIENT)).toBe(made.client);
        const counter = await contend(app);
        expect(counter.value).toBe(30);
        expect([...counter.fencing].sort((a, b) => a - b)).toEqual(counter.fencing);
        // Waiters listened on a connection of the module's own, not on the application's.
        expect(await countConnections(server)).toBe(before + 1);
        await app.close();
        expect(await countConnections(server)).toBe(before);
        // The application's client still works after the module shut down.
        const again = await boot({ client: made.client, keyPrefix: `${kind}:` });
        expect((await contend(again)).value).toBe(30);
        await again.close();
      });
    },
  );

  it('nodeRedis: creates a node-redis client from the url, locks with it and closes it on shutdown', async () => {
    const before = await countConnections(server);
    const app = await boot({ url: server.url, nodeRedis: { RESP: 3 }, keyPrefix: 'nr:' });
    const client = app.get<{ isOpen: boolean; sendCommand: unknown; defineCommand?: unknown }>(
      REDIS_LOCK_CLIENT,
    );
    expect(typeof client.sendCommand).toBe('function');
    expect(client.defineCommand).toBeUndefined();
    expect((await contend(app)).value).toBe(30);
    await app.close();
    expect(client.isOpen).toBe(false);
    expect(await countConnections(server)).toBe(before);
  });

  it('nodeRedis with a list of URLs: a Redlock quorum of node-redis clients', async () => {
    const masters = await Promise.all([startRedis(), startRedis(), startRedis()]);
    const app = await boot({ url: masters.map((m) => m.url), nodeRedis: true, keyPrefix: 'q:' });
    expect((await contend(app)).value).toBe(30);
    const clients = app.get<Array<{ isOpen: boolean }>>(REDIS_LOCK_CLIENT);
    expect(clients).toHaveLength(3);
    await app.close();
    expect(clients.map((c) => c.isOpen)).toEqual([false, false, false]);
  });

  it.each<[string, RedisLockModuleOptions]>([
    [
      'nodeRedis that is neither true nor options',
      { url: 'redis://127.0.0.1:1', nodeRedis: 'yes' as never },
    ],
    ['nodeRedis with ioredis options', { url: 'redis://127.0.0.1:1', nodeRedis: true, redis: {} }],
    ['nodeRedis with a client of its own', { client: {} as never, nodeRedis: true }],
    ['nodeRedis without an address', { nodeRedis: true }],
    ['a client of no known library', { client: { sendCommand: () => undefined } as never }],
  ])('refuses %s at bootstrap, before any connection', async (_, options) => {
    const compiling = Test.createTestingModule({
      imports: [RedisLockModule.forRoot(options)],
    }).compile();
    await expect(compiling).rejects.toThrow(InvalidLockOptionsError);
  });

  describe('node-redis on a Redis Cluster', () => {
    let cluster: RedisCluster;

    beforeAll(async () => {
      cluster = await startCluster();
    }, 60_000);
    afterAll(() => cluster.stop());

    it('nodeRedis with cluster nodes: createCluster, locks across the masters, closed on shutdown', async () => {
      const nodes = cluster.nodes.slice(0, 3).map((node) => ({ host: node.host, port: node.port }));
      const app = await boot({ cluster: { nodes }, nodeRedis: true, keyPrefix: 'c:' });
      const counter = app.get(Counter);
      await Promise.all(Array.from({ length: 40 }, (_, i) => counter.increment(`slot-${i % 4}`)));
      expect(counter.value).toBe(40);
      const client = app.get<{ isOpen: boolean; nodeClient: unknown }>(REDIS_LOCK_CLIENT);
      expect(typeof client.nodeClient).toBe('function');
      await app.close();
      expect(client.isOpen).toBe(false);
    });
  });
});
