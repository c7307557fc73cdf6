import request from 'supertest';
import type { Redis } from 'ioredis';
import { LockUpgradeError, REDIS_LOCK_CLIENT, RedisLockService } from '../../lib/index.js';
import { auxKey } from '../support/key-names.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';
import { createApp, type RunningApp } from './fixtures/create-app.js';
import { Gates } from './fixtures/counter.fixture.js';
import { Activity, PrimitivesModule, ReportService } from './fixtures/primitives.fixture.js';
import { until } from '../support/until.js';

describe('@DistributedSemaphore and @DistributedLock with mode and fair (express)', () => {
  let server: RedisServer;
  let running: RunningApp;
  let redis: Redis;
  let activity: Activity;
  let reports: ReportService;
  let locks: RedisLockService;

  beforeAll(async () => {
    server = await startRedis();
    running = await createApp(PrimitivesModule.register(server.url));
    redis = running.app.get(REDIS_LOCK_CLIENT);
    activity = running.app.get(Activity);
    reports = running.app.get(ReportService);
    locks = running.app.get(RedisLockService);
  });
  afterAll(async () => {
    await running.app.close();
    await stopAllRedis();
  });

  const http = () => request(running.url);

  it('runs at most 3 of 12 parallel requests at once, and 3 do run together', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => http().post(`/payments/${i}`)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(activity.peak.get('payments')).toBe(3);
    expect(await redis.exists('e2e:payments')).toBe(0);
  });

  it('answers 409 Conflict when the permits are in use, naming nothing of the code', async () => {
    const gates = running.app.get(Gates);
    // supertest sends on then(): start the request now.
    const holding = http()
      .post('/payments/provider/p/hold')
      .then((r) => r);
    await gates.reached('p');
    const conflict = await http().post('/payments/provider/p/try');
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe(
      'Too many requests are using this resource at once; try again later.',
    );
    await http().post('/payments/provider/p/open');
    expect((await holding).body).toEqual({ held: 'p' });
  });

  it('lets readers of a report run together and a writer alone', async () => {
    await Promise.all([
      ...Array.from({ length: 6 }, () => reports.read('r1')),
      reports.write('r1'),
      reports.write('r1'),
    ]);
    expect(activity.peak.get('read:r1')).toBeGreaterThan(1);
    const reads = activity.intervals.filter((i) => i.kind === 'read:r1');
    const writes = activity.intervals.filter((i) => i.kind === 'write:r1');
    for (const write of writes) {
      const overlapping = [...reads, ...writes].filter(
        (other) => other !== write && other.start < write.end && write.start < other.end,
      );
      expect(overlapping).toEqual([]);
    }
  });

  it('refuses a write nested in a read of the same key, and re-enters for a read nested in a write', async () => {
    await expect(reports.readThenWrite('r2')).rejects.toBeInstanceOf(LockUpgradeError);
    // Inside the write, the nested read runs under the write lock itself.
    expect(await reports.writeThenRead('r2')).toBe('write-lock');
    expect(await reports.read('r2')).toBe('read-lock');
    expect(await redis.keys('e2e:*r2*')).toEqual([]);
  });

  it('re-enters a permit for a nested call on the same semaphore instead of waiting for itself', async () => {
    expect(await reports.exportAll()).toBe('permit');
  });

  it('gives a fair lock to decorated calls in the order they came', async () => {
    const holder = await locks.acquire('ticket', { fair: true });
    const calls: Promise<void>[] = [];
    for (let n = 0; n < 5; n++) {
      calls.push(reports.ticket(n));
      await until(
        async () => (await redis.zcard(auxKey('queue', 'ticket', 'e2e:'))) === n + 1,
        `call ${n}`,
      );
    }
    await holder.release();
    await Promise.all(calls);
    expect(reports.order).toEqual([0, 1, 2, 3, 4]);
  });

  it('takes the barging lock for fair: false, though the module queues by default', async () => {
    const holder = await locks.acquire('barging');
    const call = reports.barging();
    await until(async () => (await redis.pubsub('NUMSUB', 'e2e:barging'))[1] === 1, 'the wait');
    // Waiting without a place in the queue: a fair call would have queued.
    expect(await redis.exists(auxKey('queue', 'barging', 'e2e:'))).toBe(0);
    await holder.release();
    expect(await call).toBe('barged');
  });

  it('offers the primitives on the service, with re-entrancy', async () => {
    const result = await locks.withPermit(
      'svc',
      async (permit) => {
        // Nested: the same permit, not a second one (permits: 1 would wait for itself).
        const inner = await locks.withPermit('svc', async (again) => again === permit, {
          permits: 1,
          waitTimeout: 200,
        });
        return { inner, kind: locks.currentLease()!.kind };
      },
      { permits: 1 },
    );
    expect(result).toEqual({ inner: true, kind: 'permit' });
    const token = await locks.withWriteLock('svc-report', async (write) =>
      locks.withReadLock(
        'svc-report',
        async (read) => read === (write as unknown) && write.fencingToken,
      ),
    );
    expect(token).toBeGreaterThan(0);
    await expect(
      locks.withReadLock('svc-report', () => locks.withWriteLock('svc-report', async () => 1)),
    ).rejects.toBeInstanceOf(LockUpgradeError);
    const permit = await locks.semaphore('svc-sem', { permits: 2 }).acquire();
    const read = await locks.readWriteLock('svc-rw').read();
    await Promise.all([permit.release(), read.release()]);
  });
});
