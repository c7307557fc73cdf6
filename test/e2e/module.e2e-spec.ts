import {
  type CanActivate,
  Controller,
  Injectable,
  Module,
  Post,
  type INestApplication,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import request from 'supertest';
import {
  DistributedLock,
  InvalidLockOptionsError,
  LockConflictFilter,
  LockManager,
  LockServiceUnavailableError,
  REDIS_LOCK_CLIENT,
  RedisLockModule,
  type RedisLockModuleOptions,
  type RedisLockOptionsFactory,
  RedisLockService,
} from '../../lib/index.js';
import { useRedisServer } from '../support/suites.js';

@Injectable()
class InventoryService {
  readonly ran: string[] = [];

  constructor(private readonly locks: RedisLockService) {}

  @DistributedLock('sku:<sku>')
  async reserve(sku: string): Promise<number> {
    this.ran.push(sku);
    return this.locks.current()!.fencingToken;
  }
}

async function boot(
  imports: Array<Type | ReturnType<typeof RedisLockModule.forRoot>>,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports,
    providers: [InventoryService],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('RedisLockModule', () => {
  const db = useRedisServer();
  const apps: INestApplication[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function expectWorking(app: INestApplication, prefix: string): Promise<void> {
    apps.push(app);
    const inventory = app.get(InventoryService);
    const token = await inventory.reserve('a-1');
    expect(token).toBeGreaterThan(0);
    const lock = await app.get(RedisLockService).acquire('probe');
    expect(await db.redis.exists(`${prefix}probe`)).toBe(1);
    await lock.release();
    expect(app.get(LockManager)).toBe(app.get(RedisLockService).manager);
  }

  describe('forRootAsync with ConfigModule', () => {
    const config = () =>
      ConfigModule.forRoot({
        ignoreEnvFile: true,
        load: [() => ({ REDIS_URL: db.server.url, LOCK_PREFIX: 'cfg:' })],
      });

    it('useFactory + inject', async () => {
      const app = await boot([
        RedisLockModule.forRootAsync({
          imports: [config()],
          inject: [ConfigService],
          useFactory: (env: ConfigService) => ({
            url: env.getOrThrow<string>('REDIS_URL'),
            keyPrefix: env.getOrThrow<string>('LOCK_PREFIX'),
          }),
        }),
      ]);
      await expectWorking(app, 'cfg:');
    });

    it('useClass', async () => {
      @Injectable()
      class LockOptions implements RedisLockOptionsFactory {
        constructor(private readonly env: ConfigService) {}
        createRedisLockOptions(): RedisLockModuleOptions {
          return { url: this.env.getOrThrow('REDIS_URL'), keyPrefix: 'class:' };
        }
      }
      const app = await boot([
        RedisLockModule.forRootAsync({ imports: [config()], useClass: LockOptions }),
      ]);
      await expectWorking(app, 'class:');
    });

    it('useExisting', async () => {
      @Injectable()
      class SharedLockOptions implements RedisLockOptionsFactory {
        constructor(private readonly env: ConfigService) {}
        async createRedisLockOptions(): Promise<RedisLockModuleOptions> {
          return { url: this.env.getOrThrow('REDIS_URL'), keyPrefix: 'existing:' };
        }
      }
      @Module({ imports: [config()], providers: [SharedLockOptions], exports: [SharedLockOptions] })
      class SettingsModule {}
      const app = await boot([
        RedisLockModule.forRootAsync({ imports: [SettingsModule], useExisting: SharedLockOptions }),
      ]);
      await expectWorking(app, 'existing:');
    });
  });

  it('forRoot with ioredis options', async () => {
    const app = await boot([
      RedisLockModule.forRoot({
        redis: { host: '127.0.0.1', port: db.server.port },
        keyPrefix: 'opts:',
      }),
    ]);
    await expectWorking(app, 'opts:');
  });

  it('never closes a client it was handed; closes the one it created', async () => {
    const mine = db.server.client();
    const handed = await boot([RedisLockModule.forRoot({ client: mine })]);
    await handed
      .get(RedisLockService)
      .acquire('x')
      .then((lock) => lock.release());
    await handed.close();
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
    mine.disconnect();

    const owned = await boot([RedisLockModule.forRoot({ url: db.server.url })]);
    const created = owned.get<Redis>(REDIS_LOCK_CLIENT);
    await created.ping();
    await owned.close();
    expect(created.status).toBe('end');
  });

  it.each<[string, RedisLockModuleOptions, RegExp]>([
    ['no connection', {}, /needs a Redis connection: pass url/],
    ['a URL that is not one', { url: 'localhost:6379' }, /url must look like redis:\/\/host:6379/],
    [
      'an unset environment variable',
      { url: undefined as unknown as string, redis: 'x' as never },
      /redis must be an ioredis options object/,
    ],
    ['two ways to connect', { url: 'redis://a:1', client: {} as never }, /one way to reach Redis/],
    [
      'an invalid default ttl',
      { url: 'redis://localhost:6379', ttl: 0 },
      /ttl must be a whole number/,
    ],
    [
      'a misspelled option',
      { url: 'redis://localhost:6379', prefix: 'x' } as never,
      /Unknown RedisLockModule option "prefix"/,
    ],
  ])('fails at bootstrap on %s, saying what to fix', async (_, options, message) => {
    const compiling = Test.createTestingModule({
      imports: [RedisLockModule.forRoot(options)],
    }).compile();
    await expect(compiling).rejects.toThrow(InvalidLockOptionsError);
    await expect(
      Test.createTestingModule({ imports: [RedisLockModule.forRoot(options)] }).compile(),
    ).rejects.toThrow(message);
  });

  it('without the module, a decorated method throws a clear error and does not run', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [InventoryService, { provide: RedisLockService, useValue: undefined }],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    apps.push(app);
    const inventory = app.get(InventoryService);
    const error = await inventory.reserve('b-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockServiceUnavailableError);
    expect((error as Error).message).toMatch(
      /InventoryService\.reserve\(\).*Import RedisLockModule\.forRoot/,
    );
    expect(inventory.ran).toEqual([]);
  });

  it('LockConflictFilter answers lock errors thrown outside handlers, such as in a guard', async () => {
    // A guard runs before interceptors: only an exception filter sees what it throws.
    @Injectable()
    class OneAtATime implements CanActivate {
      constructor(private readonly locks: RedisLockService) {}
      async canActivate(): Promise<boolean> {
        const lock = await this.locks.tryAcquire('report');
        if (!lock) throw await this.locks.acquire('report', { waitTimeout: 0 }).catch((e) => e);
        await lock.release();
        return true;
      }
    }
    @Controller('reports')
    class Reports {
      @Post()
      @UseGuards(OneAtATime)
      create(): string {
        return 'built';
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: db.server.url, keyPrefix: 'filter:' })],
      controllers: [Reports],
      providers: [OneAtATime],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new LockConflictFilter(app.get(HttpAdapterHost)));
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    const url = await app.getUrl();
    expect((await request(url).post('/reports')).status).toBe(201);

    const held = await db.manager({ keyPrefix: 'filter:' }).acquire('report');
    const response = await request(url).post('/reports');
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'The resource is locked by another request; try again later.',
    });
    await held.release();
  });
});
