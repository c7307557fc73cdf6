import {
  Body,
  Controller,
  HttpException,
  type INestApplication,
  Param,
  Post,
  type Type,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  DistributedLock,
  LockTimeoutError,
  RedisLockModule,
  type RedisLockModuleOptions,
} from '../../lib/index.js';
import { useRedisServer } from '../support/suites.js';
import { CapturingLogger } from './fixtures/capturing-logger.js';
import { appClient, duringOutage, Orders, PREFIX } from './fixtures/failures.fixture.js';
import type { Platform } from './fixtures/create-app.js';

@Controller()
class OrdersController {
  constructor(private readonly orders: Orders) {}

  @Post('orders/:orderId/pay')
  pay(@Param('orderId') orderId: string): Promise<string> {
    return this.orders.pay(orderId);
  }

  @Post('orders/:orderId/pay-now')
  payNow(@Param('orderId') orderId: string): Promise<string> {
    return this.orders.payNow(orderId);
  }

  @Post('orders/:orderId/raw')
  payRaw(@Param('orderId') orderId: string): Promise<string> {
    return this.orders.payRaw(orderId);
  }

  @Post('orders/:orderId/refund')
  refund(@Param('orderId') orderId: string): Promise<string> {
    return this.orders.refund(orderId);
  }

  /** The decorator on the route itself. */
  @Post('orders/:orderId/route')
  @DistributedLock('order:<orderId>', { waitTimeout: 100 })
  async route(@Param('orderId') orderId: string): Promise<string> {
    return `routed ${orderId}`;
  }

  @Post('customers')
  register(@Body() body: { customer?: { id?: unknown } }): Promise<string> {
    return this.orders.register(body.customer ?? {});
  }
}

async function boot(
  platform: Platform,
  options: RedisLockModuleOptions,
  controllers: Type[] = [OrdersController],
): Promise<{ app: INestApplication; url: string; logs: CapturingLogger }> {
  const logs = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    // Nothing else registered: no filter, no interceptor of the application's.
    imports: [RedisLockModule.forRoot({ keyPrefix: PREFIX, ...options })],
    controllers,
    providers: [Orders],
  }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: logs })
      : moduleRef.createNestApplication({ logger: logs });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), logs };
}

describe.each<Platform>(['express', 'fastify'])(
  'what an HTTP client gets when locking fails (%s, nothing registered)',
  (platform) => {
    let app: INestApplication;
    let url: string;
    let logs: CapturingLogger;
    // Registered before the server's teardown: the application closes while its Redis runs.
    afterAll(async () => {
      await app.close();
    });
    const db = useRedisServer();

    beforeAll(async () => {
      ({ app, url, logs } = await boot(platform, { url: db.server.url }));
    });
    beforeEach(() => {
      logs.lines.length = 0;
    });

    const post = (path: string) => request(url).post(path);

    it.each(['pay', 'pay-now', 'route', 'refund'])(
      'a lock held by someone else: 409 with a neutral body, whichever layer took it (%s)',
      async (route) => {
        const held = await db.manager({ keyPrefix: PREFIX }).acquire('order:1');
        const response = await post(`/orders/1/${route}`);
        await held.release();
        expect(response.status).toBe(409);
        expect(response.body).toEqual({
          statusCode: 409,
          error: 'Conflict',
          message: 'The resource is locked by another request; try again later.',
        });
        expect(response.headers['retry-after']).toBeUndefined();
        // Contention is the lock working: nothing at error level, from Nest or from us.
        expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
        expect((await post(`/orders/1/${route}`)).status).toBe(201);
      },
    );

    it('a key the arguments cannot build: 400, the client told nothing of the code, the log everything', async () => {
      const response = await post('/customers').send({ customer: {} });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'A value the request needs is missing or invalid.',
      });
      expect(JSON.stringify(response.body)).not.toMatch(/Orders|register|customer\.id/);
      expect(logs.ours()).toEqual([
        expect.stringMatching(
          /^warn: POST \/customers \(OrdersController\.register\(\)\): @DistributedLock\('customer:<customer\.id>'\) on Orders\.register\(\): <customer\.id> is undefined.* Answered 400 BAD_REQUEST\.$/,
        ),
      ]);
    });

    it('mapErrors: false on one decorator: its errors reach the application as they are (a 500 here)', async () => {
      const held = await db.manager({ keyPrefix: PREFIX }).acquire('order:2');
      const response = await post('/orders/2/raw');
      await held.release();
      expect(response.status).toBe(500);
      expect(logs.of('ExceptionsHandler')).toEqual([
        expect.stringMatching(/^error: .*Could not acquire lock "order:2"/),
      ]);
    });

    it.each(['pay', 'pay-now', 'route', 'refund'])(
      'Redis down: 503 with Retry-After, and an error in the log naming the cause (%s)',
      async (route) => {
        const response = await duringOutage(db.server, [appClient(app), db.redis], () =>
          post(`/orders/3/${route}`),
        );
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(response.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'The service cannot process this request right now; try again later.',
        });
        const handler = { pay: 'pay', 'pay-now': 'payNow', route: 'route', refund: 'refund' }[
          route
        ];
        const answered = logs
          .ours()
          .filter((line) => line.startsWith(`error: POST /orders/3/${route} `));
        expect(answered).toEqual([
          expect.stringMatching(
            new RegExp(
              `^error: POST /orders/3/${route} \\(OrdersController\\.${handler}\\(\\)\\): .*Could not acquire lock "order:3" .*Redis did not answer the last attempt: .+ Answered 503 SERVICE_UNAVAILABLE\\.$`,
            ),
          ),
        ]);
        // Not a stack trace from Nest on top: the line above is the one.
        expect(logs.of('ExceptionsHandler')).toEqual([]);
        // Back to normal once Redis is.
        expect((await post(`/orders/3/${route}`)).status).toBe(201);
      },
    );
  },
);

describe('mapErrors at module level (express)', () => {
  const db = useRedisServer();
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('false: lock errors reach the application as they are, for its own filters', async () => {
    const booted = await boot('express', { url: db.server.url, mapErrors: false });
    apps.push(booted.app);
    const held = await db.manager({ keyPrefix: PREFIX }).acquire('order:4');
    const response = await request(booted.url).post('/orders/4/pay');
    await held.release();
    expect(response.status).toBe(500);
    expect(booted.logs.ours()).toEqual([]);
  });

  it('a function: its answer where it gives one, the default elsewhere', async () => {
    const booted = await boot('express', {
      url: db.server.url,
      mapErrors: (failure) =>
        failure.kind === 'locked'
          ? new HttpException({ retry: 'in a minute', was: failure.error.name }, 423)
          : undefined,
    });
    apps.push(booted.app);
    const held = await db.manager({ keyPrefix: PREFIX }).acquire('order:5');
    const locked = await request(booted.url).post('/orders/5/pay');
    await held.release();
    expect(locked.status).toBe(423);
    expect(locked.body).toEqual({ retry: 'in a minute', was: LockTimeoutError.name });
    const bad = await request(booted.url)
      .post('/customers')
      .send({ customer: { id: null } });
    expect(bad.status).toBe(400);
  });
});
