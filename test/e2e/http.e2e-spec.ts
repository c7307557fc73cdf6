import request from 'supertest';
import type { Redis } from 'ioredis';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { REDIS_LOCK_CLIENT } from '../../lib/index.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';
import { createApp, type Platform, type RunningApp } from './fixtures/create-app.js';
import {
  CounterController,
  CounterModule,
  Gates,
  OrdersService,
} from './fixtures/counter.fixture.js';

describe.each<Platform>(['express', 'fastify'])('@DistributedLock over HTTP (%s)', (platform) => {
  let server: RedisServer;
  let running: RunningApp;
  let redis: Redis;
  let gates: Gates;

  beforeAll(async () => {
    server = await startRedis();
    running = await createApp(CounterModule.register(server.url), platform);
    redis = running.app.get(REDIS_LOCK_CLIENT);
    gates = running.app.get(Gates);
  });
  afterAll(async () => {
    await running.app.close();
    await stopAllRedis();
  });

  const http = () => request(running.url);

  it.each(['locked', 'locked-below'])(
    'serializes 50 parallel requests on one key: a non-atomic counter stays exact (%s)',
    async (route) => {
      const name = `c-${route}`;
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => http().post(`/counter/${name}/${route}`)),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
      const values = responses.map((r) => r.body.value).sort((a, b) => a - b);
      expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await redis.get(`counter:${name}`)).toBe('50');
    },
  );

  it('loses updates without the lock (the control experiment)', async () => {
    await Promise.all(
      Array.from({ length: 50 }, () => http().post('/counter/c-unlocked/unlocked')),
    );
    expect(Number(await redis.get('counter:c-unlocked'))).toBeLessThan(50);
  });

  it("answers 409 Conflict with a clear body while the lock is held and onLocked is 'throw'", async () => {
    const holding = http()
      .post('/busy/a/hold')
      .then((r) => r);
    await gates.reached('a');
    const conflict = await http().post('/busy/a/try');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'The resource is locked by another request; try again later.',
    });
    // 'skip' does not run the method; a function decides the answer.
    const skipped = await http().post('/busy/a/skip');
    expect([200, 201]).toContain(skipped.status);
    expect(skipped.text).toBe('');
    const fallback = await http().post('/busy/a/fallback');
    expect(fallback.body).toEqual({ ran: false, key: 'busy:a', reason: 'LockTimeoutError' });

    await http().post('/busy/a/open');
    expect((await holding).body).toEqual({ held: 'a' });
    expect((await http().post('/busy/a/try')).body).toEqual({ ran: 'a' });
    expect(await redis.exists('e2e:busy:a')).toBe(0);
  });

  it.each(['stream', 'stream-untyped'])(
    'holds the lock of an Observable handler until it completes (%s)',
    async (route) => {
      const streaming = http()
        .get(`/${route}/s`)
        .then((r) => r);
      // Wait until the stream holds the lock.
      for (let i = 0; i < 100 && !(await redis.exists('e2e:stream:s')); i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(await redis.exists('e2e:stream:s')).toBe(1);
      expect((await http().get(`/${route}/s`)).status).toBe(409);
      const response = await streaming;
      expect(response.status).toBe(200);
      expect(await redis.exists('e2e:stream:s')).toBe(0);
    },
  );

  it('runs a decorated service method called from a controller, re-entering the same key', async () => {
    const response = await http().post('/orders/o-1');
    expect(response.status).toBe(201);
    // The nested call ran under the outer lock (same fencing token), without waiting for itself.
    expect(response.body.inner).toBe(response.body.outer);
    expect(running.app.get(OrdersService).calls).toEqual(['place:o-1', 'confirm:o-1']);
    expect(await redis.exists('e2e:order:o-1')).toBe(0);
  });

  it('with reentrant: false a nested call on the same key waits for itself and fails', async () => {
    const response = await http().post('/orders/o-2/strict');
    // The lock is held (by the request itself): contention, like any other holder.
    expect(response.status).toBe(409);
    expect(await redis.exists('e2e:order:o-2')).toBe(0);
  });

  it('answers 400 and does not run the method when the key cannot be built', async () => {
    const missing = await http().post('/customers').send({ customer: {} });
    expect(missing.status).toBe(400);
    // The client learns nothing of the code: class, method and placeholder go to the log.
    expect(missing.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'A value the request needs is missing or invalid.',
    });
    const object = await http()
      .post('/customers')
      .send({ customer: { id: { nested: true } } });
    expect(object.status).toBe(400);
    const ok = await http()
      .post('/customers')
      .send({ customer: { id: 7 } });
    expect(ok.body).toEqual({ id: 7 });
    expect(await redis.keys('e2e:customer:*')).toEqual([]);
  });

  it("takes an Observable handler's lock at subscription, not at call time, and frees it on unsubscribe", async () => {
    const controller = running.app.get(CounterController);
    const stream = controller.stream('late') as Observable<string>;
    await new Promise((r) => setTimeout(r, 30));
    expect(await redis.exists('e2e:stream:late')).toBe(0);
    expect(await lastValueFrom(stream.pipe(toArray()))).toEqual(['late:0', 'late:1', 'late:2']);
    expect(await redis.exists('e2e:stream:late')).toBe(0);

    const subscription = controller.stream('cut').subscribe();
    for (let i = 0; i < 100 && !(await redis.exists('e2e:stream:cut')); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    subscription.unsubscribe();
    for (let i = 0; i < 100 && (await redis.exists('e2e:stream:cut')); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await redis.exists('e2e:stream:cut')).toBe(0);
  });

  it('current() is undefined outside a locked call', async () => {
    expect((await http().get('/current')).body).toEqual({ inside: false });
  });
});
