import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  DistributedLock,
  InMemoryLockStore,
  LockManager,
  LockTimeoutError,
  RedisLockService,
  RedisLockTestingModule,
} from '../../lib/index.js';

@Injectable()
class Reports {
  builds = 0;

  constructor(private readonly locks: RedisLockService) {}

  @DistributedLock('report:<day>', { waitTimeout: 0 })
  async rebuild(day: string): Promise<string> {
    this.builds++;
    return `${day} built with token ${this.locks.current()!.fencingToken}`;
  }

  publish(day: string): Promise<string> {
    return this.locks.withLock(`report:${day}`, () => `${day} published`, { waitTimeout: 0 });
  }
}

describe('RedisLockTestingModule: the lock module for unit tests, without a Redis', () => {
  const modules: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  async function compile(options?: Parameters<typeof RedisLockTestingModule.forRoot>[0]) {
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockTestingModule.forRoot(options)],
      providers: [Reports],
    }).compile();
    await moduleRef.init();
    modules.push(moduleRef);
    return moduleRef;
  }

  it('runs decorated methods and with* calls under locks a test can hold from outside', async () => {
    const moduleRef = await compile();
    const reports = moduleRef.get(Reports);
    await expect(reports.rebuild('d1')).resolves.toMatch(/^d1 built with token \d+$/);

    const otherInstance = new LockManager(moduleRef.get(InMemoryLockStore));
    const held = await otherInstance.acquire('report:d1');
    await expect(reports.rebuild('d1')).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(reports.publish('d1')).rejects.toBeInstanceOf(LockTimeoutError);
    expect(reports.builds).toBe(1);
    await held.release();
    await expect(reports.publish('d1')).resolves.toBe('d1 published');
    await otherInstance.close();
  });

  it('gives each module a store of its own unless they are given one to share', async () => {
    const [a, b] = [await compile(), await compile()];
    expect(a.get(InMemoryLockStore)).not.toBe(b.get(InMemoryLockStore));
    const heldInA = await a.get(RedisLockService).acquire('report:d2');
    await expect(b.get(Reports).rebuild('d2')).resolves.toMatch(/^d2 built/);
    await heldInA.release();

    const store = new InMemoryLockStore();
    const [c, d] = [await compile({ store }), await compile({ store })];
    expect(c.get(InMemoryLockStore)).toBe(store);
    const heldInC = await c.get(RedisLockService).acquire('report:d3');
    await expect(d.get(Reports).rebuild('d3')).rejects.toBeInstanceOf(LockTimeoutError);
    await heldInC.release();
  });

  it("passes the module's options on: defaults and prefix apply", async () => {
    const moduleRef = await compile({ keyPrefix: 'unit:', ttl: 5_000 });
    const manager = moduleRef.get(LockManager);
    expect(manager.options).toMatchObject({ keyPrefix: 'unit:', ttl: 5_000 });
    // The other instance must use the same prefix to meet the module's locks.
    const otherInstance = new LockManager(moduleRef.get(InMemoryLockStore), {
      keyPrefix: 'unit:',
    });
    const held = await otherInstance.acquire('report:d4');
    await expect(moduleRef.get(Reports).rebuild('d4')).rejects.toBeInstanceOf(LockTimeoutError);
    await held.release();
    await otherInstance.close();
  });
});
