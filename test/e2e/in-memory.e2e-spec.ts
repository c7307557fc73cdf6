import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DistributedLock,
  DistributedSemaphore,
  InMemoryLockStore,
  LockTimeoutError,
  REDIS_LOCK_CLIENT,
  RedisLockModule,
  type RedisLockModuleOptions,
  RedisLockService,
} from '../../lib/index.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';

@Injectable()
class Orders {
  running = 0;
  most = 0;

  constructor(private readonly locks: RedisLockService) {}

  @DistributedLock('order:<orderId>', { waitTimeout: 0 })
  async pay(orderId: string, ms: number): Promise<number> {
    await sleep(ms);
    return this.confirm(orderId);
  }

  @DistributedLock('order:<0>')
  async confirm(orderId: string): Promise<number> {
    return this.locks.current()!.fencingToken + orderId.length * 0;
  }

  @DistributedLock('job:nightly', { onLocked: 'skip' })
  async nightly(ms: number): Promise<string> {
    await sleep(ms);
    return 'ran';
  }

  @DistributedSemaphore('payments', { permits: 2, waitTimeout: 5_000 })
  async charge(): Promise<void> {
    this.most = Math.max(this.most, ++this.running);
    await sleep(20);
    this.running--;
  }
}

/**
 * The decorator's behaviour with `inMemory: true` and on a real Redis, side by side: a user's
 * unit tests on the in-memory module see what production sees.
 */
describe.each(['redis', 'memory'] as const)('decorated services, %s', (backend) => {
  let server: RedisServer | undefined;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    if (backend === 'redis') server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => stopAllRedis());

  async function boot(): Promise<INestApplication> {
    const options: RedisLockModuleOptions =
      backend === 'redis' ? { url: server!.url } : { inMemory: true };
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot(options)],
      providers: [Orders],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    apps.push(app);
    return app;
  }

  it('excludes two instances of the app, re-enters on the same chain, skips when locked', async () => {
    const [one, two] = [await boot(), await boot()];
    const [first, second] = [one.get(Orders), two.get(Orders)];
    const paying = first.pay('o-1', 80);
    await sleep(20);
    await expect(second.pay('o-1', 0)).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await paying).toBeGreaterThan(0);

    const nights = await Promise.all([first.nightly(60), second.nightly(60)]);
    expect(nights.sort()).toEqual(['ran', undefined].sort());
  });

  it('limits a decorated method to its permits across instances', async () => {
    const apps2 = [await boot(), await boot()];
    const orders = apps2.map((app) => app.get(Orders));
    await Promise.all(Array.from({ length: 8 }, (_, i) => orders[i % 2]!.charge()));
    const most = Math.max(...orders.map((o) => o.most));
    expect(most).toBeLessThanOrEqual(2);
  });

  it(
    backend === 'memory' ? 'has no Redis client to inject' : 'injects its Redis client',
    async () => {
      const app = await boot();
      const client = app.get(REDIS_LOCK_CLIENT, { strict: false });
      if (backend === 'memory') expect(client).toBeUndefined();
      else expect(typeof client.ping).toBe('function');
    },
  );
});

describe('inMemory option', () => {
  it('accepts a store of its own, and refuses a second way to connect', async () => {
    const store = new InMemoryLockStore();
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ inMemory: store })],
      providers: [Orders],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.get(Orders).pay('x', 0);
    const lock = await app.get(RedisLockService).acquire('held');
    expect(store.size).toBe(1);
    await lock.release();
    await app.close();
    await expect(
      Test.createTestingModule({
        imports: [RedisLockModule.forRoot({ inMemory: true, url: 'redis://localhost:6379' })],
      }).compile(),
    ).rejects.toThrow(/exactly one/);
  });
});
