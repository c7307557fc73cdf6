import { Controller, Injectable, Module, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DistributedLock,
  DistributedSemaphore,
  LockServiceUnavailableError,
  RedisLockModule,
  RedisUnreachableError,
} from '../../lib/index.js';
import { freePort, startRedis } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';

@Injectable()
class Billing {
  readonly ran: string[] = [];

  @DistributedLock('invoice:<0>')
  async invoice(id: string): Promise<string> {
    this.ran.push(id);
    return id;
  }
}

@Controller('exports')
class Exports {
  @Post()
  @DistributedSemaphore('exports', { permits: 2 })
  async run(): Promise<string> {
    return 'exported';
  }
}

describe('what is checked at bootstrap', () => {
  const db = useRedisServer();

  it.each<[string, object]>([
    ['a provider', { providers: [Billing] }],
    ['a controller', { controllers: [Exports] }],
  ])(
    'a decorated method in %s of an app that never imported RedisLockModule: Nest refuses to boot, naming what is missing',
    async (_, metadata) => {
      const compiling = Test.createTestingModule(metadata).compile();
      await expect(compiling).rejects.toThrow(
        /Nest can't resolve dependencies of the (Billing|Exports)\. Please make sure that the "Symbol\(RedisLockService, for @DistributedLock and @DistributedSemaphore \(import RedisLockModule\)\)" property is available/,
      );
    },
  );

  it('boots where the module is imported, global or not', async () => {
    @Module({
      imports: [RedisLockModule.forRoot({ url: db.server.url, isGlobal: false })],
      providers: [Billing],
    })
    class BillingModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BillingModule] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    await expect(app.get(Billing).invoice('a-1')).resolves.toBe('a-1');
    await app.close();
  });

  it('an object made with new, no application alive: the first call fails and the method does not run', async () => {
    const billing = new Billing();
    const error = await billing.invoice('b-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockServiceUnavailableError);
    expect((error as Error).message).toMatch(/Billing\.invoice\(\) found no RedisLockService/);
    expect(billing.ran).toEqual([]);
  });

  it('without failFast, an unreachable Redis does not stop the bootstrap', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url, logging: 'silent' })],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    await app.close();
  });

  it('failFast: nothing listening on the port, bootstrap fails after the wait with the cause', async () => {
    const port = await freePort();
    const compiling = Test.createTestingModule({
      imports: [
        RedisLockModule.forRoot({
          url: `redis://127.0.0.1:${port}`,
          logging: 'silent',
          failFast: { timeout: 500 },
        }),
      ],
    }).compile();
    const error = await compiling.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnreachableError);
    expect(error).toMatchObject({ timeout: 500, health: { healthy: false } });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^RedisLockModule could not reach Redis within 500 ms at bootstrap \\(failFast\\): .*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`,
      ),
    );
  });

  it('failFast: a Redis that does not answer (paused), bootstrap fails after the wait', async () => {
    db.server.pause();
    try {
      const compiling = Test.createTestingModule({
        imports: [
          RedisLockModule.forRoot({
            url: db.server.url,
            logging: 'silent',
            failFast: { timeout: 300 },
          }),
        ],
      }).compile();
      await expect(compiling).rejects.toBeInstanceOf(RedisUnreachableError);
    } finally {
      db.server.resume();
    }
  });

  it('failFast: bootstrap waits for a Redis that comes up within the wait', async () => {
    const port = await freePort();
    const compiling = Test.createTestingModule({
      imports: [
        RedisLockModule.forRoot({
          url: `redis://127.0.0.1:${port}`,
          logging: 'silent',
          failFast: { timeout: 20_000 },
        }),
      ],
    }).compile();
    // Started after the bootstrap began: it can only succeed by waiting for it.
    const late = await startRedis({ port });
    const moduleRef = await compiling;
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    await app.close();
    await late.stop();
  });

  it.each([{ timeout: 0 }, { timeout: Infinity }, 'yes', { wait: 5 }])(
    'failFast: %p is refused with a message that says what is accepted',
    async (failFast) => {
      const compiling = Test.createTestingModule({
        imports: [RedisLockModule.forRoot({ url: db.server.url, failFast: failFast as never })],
      }).compile();
      await expect(compiling).rejects.toThrow(/failFast/);
    },
  );
});
