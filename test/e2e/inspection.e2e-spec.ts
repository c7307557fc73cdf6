import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DistributedLock,
  type HeldLockInfo,
  InvalidLockOptionsError,
  RedisLockModule,
  RedisLockService,
} from '../../lib/index.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';

@Injectable()
class Exports {
  @DistributedLock('export:<0>')
  async run(customer: string, ms: number): Promise<string> {
    await sleep(ms);
    return customer;
  }
}

describe('RedisLockService.list()', () => {
  let server: RedisServer;
  let app: INestApplication;

  beforeAll(async () => {
    server = await startRedis();
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: server.url, owner: 'api-1', keyPrefix: 'shop:' })],
      providers: [Exports],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await stopAllRedis();
  });

  it('lists the locks of methods in flight, with the module’s owner label, by pattern', async () => {
    const locks = app.get(RedisLockService);
    const exports = app.get(Exports);
    const running = [exports.run('c1', 300), exports.run('c2', 300)];
    const other = await locks.acquire('invoice:9');
    await sleep(50);

    const listed: HeldLockInfo[] = [];
    for await (const lock of locks.list('export:*')) listed.push(lock);
    expect(listed.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      {
        key: 'export:c1',
        held: true,
        ttl: expect.any(Number),
        fencingToken: expect.any(Number),
        owner: 'api-1',
      },
      {
        key: 'export:c2',
        held: true,
        ttl: expect.any(Number),
        fencingToken: expect.any(Number),
        owner: 'api-1',
      },
    ]);
    const everything: string[] = [];
    for await (const lock of locks.list(undefined, { count: 1 })) everything.push(lock.key);
    expect(everything.sort()).toEqual(['export:c1', 'export:c2', 'invoice:9']);

    await Promise.all(running);
    await other.release();
    const after: HeldLockInfo[] = [];
    for await (const lock of locks.list()) after.push(lock);
    expect(after).toEqual([]);
  });

  it('refuses a bad pattern at the call, before any Redis call', () => {
    const locks = app.get(RedisLockService);
    expect(() => locks.list('')).toThrow(InvalidLockOptionsError);
    expect(() => locks.list(42 as never)).toThrow(/match/);
    expect(() => locks.list('*', { count: 0 })).toThrow(/count/);
  });
});
