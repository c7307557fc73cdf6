import { setTimeout as sleep } from 'node:timers/promises';
import {
  Controller,
  Injectable,
  type INestApplication,
  type INestMicroservice,
} from '@nestjs/common';
import {
  ClientProxyFactory,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import {
  DistributedLock,
  InjectRedisLockClient,
  LockLostError,
  LockManagerClosedError,
  type Lock,
  RedisLockModule,
  RedisLockService,
} from '../../lib/index.js';
import { freePort } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';
import { until } from '../support/until.js';

@Injectable()
class Jobs {
  readonly events: string[] = [];
  lastLock: Lock | undefined;

  constructor(private readonly locks: RedisLockService) {}

  @DistributedLock('job:<0>')
  async run(name: string, ms: number): Promise<string> {
    this.lastLock = this.locks.current();
    this.events.push(`start:${name}`);
    await sleep(ms);
    this.events.push(`end:${name}`);
    return name;
  }

  @Cron('0 0 0 1 1 *', { name: 'settle-orders' })
  @DistributedLock('job:settle-orders', { onLocked: 'skip' })
  async settle(): Promise<string> {
    this.events.push('settle');
    await sleep(200);
    return 'settled';
  }
}

async function bootJobs(url: string, shutdownTimeout = 5_000): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [ScheduleModule.forRoot(), RedisLockModule.forRoot({ url, shutdownTimeout })],
    providers: [Jobs],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('lifecycle', () => {
  const db = useRedisServer();

  it('app.close() waits for locked methods in flight, refuses new ones, then releases everything', async () => {
    const app = await bootJobs(db.server.url);
    const jobs = app.get(Jobs);
    const running = jobs.run('long', 600);
    // Inside its lock before the shutdown starts, however slowly the machine got there.
    await until(() => jobs.events.includes('start:long'), 'the job to start');
    const closing = app.close().then(() => jobs.events.push('closed'));
    await sleep(20);
    // Shutting down: a new call is refused and does not run.
    await expect(jobs.run('late', 0)).rejects.toBeInstanceOf(LockManagerClosedError);
    await expect(running).resolves.toBe('long');
    await closing;
    expect(jobs.events).toEqual(['start:long', 'end:long', 'closed']);
    expect(await db.redis.keys('lock:job:*')).toEqual([]);
  });

  it('a method still running after shutdownTimeout loses its lock: released, signal aborted', async () => {
    const app = await bootJobs(db.server.url, 100);
    const jobs = app.get(Jobs);
    const running = jobs.run('endless', 600);
    await sleep(30);
    await app.close();
    expect(await db.redis.exists('lock:job:endless')).toBe(0);
    expect(jobs.lastLock!.signal.reason).toBeInstanceOf(LockLostError);
    expect((jobs.lastLock!.signal.reason as LockLostError).reason).toBe('closed');
    // When the method returns anyway, its caller learns that it ran without its lock.
    await expect(running).rejects.toBe(jobs.lastLock!.signal.reason);
  });

  it('a @Cron job keeps its schedule and runs once across two instances (onLocked: skip)', async () => {
    const first = await bootJobs(db.server.url);
    const second = await bootJobs(db.server.url);
    try {
      // The scheduler found the job: @Cron metadata survived the wrapping.
      expect(first.get(SchedulerRegistry).getCronJob('settle-orders')).toBeDefined();
      // Two instances firing the same tick at once.
      const results = await Promise.all([first.get(Jobs).settle(), second.get(Jobs).settle()]);
      expect(results.sort()).toEqual(['settled', undefined].sort());
      expect([...first.get(Jobs).events, ...second.get(Jobs).events]).toEqual(['settle']);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

@Controller()
class StockHandlers {
  constructor(@InjectRedisLockClient() private readonly redis: Redis) {}

  @MessagePattern('stock.take')
  @DistributedLock('stock:<0.sku>', { waitTimeout: 10_000 })
  async take(@Payload() order: { sku: string }): Promise<number> {
    // Deliberately non-atomic: only the lock keeps the count right.
    const stock = Number(await this.redis.get(`stock:${order.sku}`));
    await sleep(1);
    await this.redis.set(`stock:${order.sku}`, stock - 1);
    return stock - 1;
  }
}

describe('@DistributedLock on a microservice handler (TCP)', () => {
  let microservice: INestMicroservice;
  let client: ClientProxy;
  // Registered before the server's teardown: the application closes while its Redis still runs.
  afterAll(async () => {
    client.close();
    await microservice.close();
  });
  const db = useRedisServer();

  beforeAll(async () => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: db.server.url })],
      controllers: [StockHandlers],
    }).compile();
    microservice = moduleRef.createNestMicroservice({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: false,
    });
    await microservice.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await client.connect();
  });

  it('serializes concurrent messages: the non-atomic stock count stays exact', async () => {
    await db.redis.set('stock:tea', 100);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        firstValueFrom(client.send<number>('stock.take', { sku: 'tea' })),
      ),
    );
    expect(replies.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => 70 + i));
    expect(await db.redis.get('stock:tea')).toBe('70');
  });
});
