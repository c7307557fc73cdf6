import { setTimeout as sleep } from 'node:timers/promises';
import {
  LockBackendError,
  LockLostError,
  LockManager,
  LockTimeoutError,
  type Permit,
  SemaphoreLimitMismatchError,
} from '../../lib/core/index.js';
import { auxKey, keysLeft } from '../support/key-names.js';
import { countByName, monitorCommands } from '../support/redis-server.js';
import { idleWhileWaiting, maxConcurrency, raceForPermits } from '../support/semaphore-timeline.js';
import { until } from '../support/until.js';
import { useRedisServer } from '../support/suites.js';

// Polling so slow that a waiter served within the test's time can only have been woken by a
// release announcement.
const NO_POLLING = { minDelay: 60_000, maxDelay: 60_000 };

describe('semaphore', () => {
  const db = useRedisServer();
  let manager: LockManager;

  beforeEach(() => {
    manager = db.manager();
  });

  it('admits at most `permits` holders, counting weights, and leaves no key once they leave', async () => {
    const jobs = manager.semaphore('jobs', { permits: 3 });
    const heavy = await jobs.acquire({ weight: 2 });
    const light = await jobs.acquire();
    expect([heavy.weight, heavy.permits, light.weight]).toEqual([2, 3, 1]);
    expect(await jobs.tryAcquire()).toBeNull();
    await light.release();
    // One permit free: enough for a light holder, not for a heavy one.
    expect(await jobs.tryAcquire({ weight: 2 })).toBeNull();
    const next = (await jobs.tryAcquire())!;
    expect(next.isHeld).toBe(true);
    await Promise.all([heavy.release(), next.release()]);
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('refuses a limit that differs from the holders’ one, and accepts a new one once they left', async () => {
    const holder = await manager.semaphore('limit', { permits: 2 }).acquire();
    const error = await manager
      .semaphore('limit', { permits: 5 })
      .acquire({ waitTimeout: 1_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SemaphoreLimitMismatchError);
    expect(error).toMatchObject({ key: 'limit', permits: 5, storedPermits: 2 });
    await holder.release();
    const raised = await manager.semaphore('limit', { permits: 5 }).acquire();
    await raised.release();
  });

  it('counts permits with the server clock: clients whose clocks are an hour apart share it correctly', async () => {
    const realNow = Date.now;
    const ahead = new LockManager(db.redis);
    const behind = new LockManager(db.redis);
    try {
      Date.now = () => realNow() + 3_600_000;
      const first = await ahead.semaphore('skew', { permits: 2 }).acquire({ ttl: 5_000 });
      Date.now = () => realNow() - 3_600_000;
      const second = await behind.semaphore('skew', { permits: 2 }).acquire({ ttl: 5_000 });
      // With client clocks, the late client would see the early one's permit as long expired.
      expect(await behind.semaphore('skew', { permits: 2 }).tryAcquire()).toBeNull();
      Date.now = realNow;
      const [seconds] = (await db.redis.time()) as unknown as [string, string];
      const expiries = (await db.redis.zrangebyscore('lock:skew', 0, '+inf', 'WITHSCORES'))
        .filter((_, i) => i % 2 === 1)
        .map(Number);
      for (const expiry of expiries) {
        expect(Math.abs(expiry - (Number(seconds) * 1000 + 5_000))).toBeLessThan(1_000);
      }
      await Promise.all([first.release(), second.release()]);
    } finally {
      Date.now = realNow;
      await Promise.all([ahead.close(), behind.close()]);
    }
  });

  it('frees the permits of a holder that stopped renewing once their ttl has passed, and tells it', async () => {
    const crashed = await manager.semaphore('crash', { permits: 1 }).acquire({ ttl: 300 });
    const waiter = new LockManager(db.redis, { retry: NO_POLLING });
    // Nobody releases, nothing is announced: the waiter looks again when the permit expires.
    const permit = await waiter.semaphore('crash', { permits: 1 }).acquire({ waitTimeout: 60_000 });
    expect(permit.isHeld).toBe(true);
    const lost = await crashed.release().catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LockLostError);
    expect(lost).toMatchObject({ kind: 'permit', reason: 'expired', fencingToken: 0 });
    expect((lost as Error).message).toMatch(/^A permit of semaphore "crash" was lost/);
    // The stale release took nothing from the new holder.
    expect(await db.redis.zcount('lock:crash', '(0', '+inf')).toBe(1);
    await permit.release();
    await waiter.close();
  });

  it('renews permits while withPermit runs, and aborts the signal when they are lost', async () => {
    const pool = manager.semaphore('renew', { permits: 2 });
    const result = await pool.withPermit(
      async (permit) => {
        await sleep(700);
        expect(permit.signal.aborted).toBe(false);
        return 'done';
      },
      { ttl: 300 },
    );
    expect(result).toBe('done');

    const permit = await pool.acquire({ ttl: 600, autoExtend: true });
    const aborted = new Promise<unknown>((resolve) =>
      permit.signal.addEventListener('abort', () => resolve(permit.signal.reason)),
    );
    await db.redis.del('lock:renew');
    const reason = await aborted;
    expect(reason).toBeInstanceOf(LockLostError);
    expect(reason).toMatchObject({ kind: 'permit', reason: 'expired' });
    await expect(permit.release()).rejects.toBe(reason);
  });

  it('serves waiters with the release, not by polling: one release of 2 permits grants both', async () => {
    const waiterClient = db.server.client();
    const waiter = new LockManager(waiterClient, { retry: NO_POLLING, waiterTtl: 120_000 });
    const pool = manager.semaphore('wake', { permits: 2 });
    const holder = await pool.acquire({ weight: 2 });
    const waiting = Array.from({ length: 2 }, () =>
      // Longer than jest's 30 s: only the release can serve it in time.
      waiter.semaphore('wake', { permits: 2 }).acquire({ waitTimeout: 60_000 }),
    );
    await until(
      async () => (await db.redis.zcard(auxKey('waiters', 'wake'))) === 2,
      'the waiters to queue',
    );
    await sleep(100);
    // Both permits come back with one release, which hands one to each waiter in line.
    await holder.release();
    const permits = await Promise.all(waiting);
    expect(permits.every((permit) => permit.isHeld)).toBe(true);
    await Promise.all(permits.map((permit) => permit.release()));
    await waiter.close();
    waiterClient.disconnect();
  });

  it('takes, renews and releases a free permit in one round trip each', async () => {
    const pool = manager.semaphore('rt', { permits: 4 });
    await (await pool.acquire()).release(); // warm: EVAL once per script and connection
    const warm = await pool.acquire();
    await warm.extend();
    await warm.release();
    let permit: Permit | undefined;
    expect(
      countByName(await monitorCommands(db.server, async () => (permit = await pool.acquire()))),
    ).toEqual({ evalsha: 1 });
    expect(countByName(await monitorCommands(db.server, () => permit!.extend()))).toEqual({
      evalsha: 1,
    });
    expect(countByName(await monitorCommands(db.server, () => permit!.release()))).toEqual({
      evalsha: 1,
    });
  });

  it('times out with an error that names the permit, and reports a name used by a plain lock', async () => {
    const pool = manager.semaphore('busy', { permits: 1 });
    const holder = await pool.acquire();
    const error = await pool.acquire({ waitTimeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error).toMatchObject({ kind: 'permit', key: 'busy' });
    expect((error as Error).message).toMatch(/permit of semaphore "busy".*permits are in use/);
    await holder.release();

    const lock = await manager.acquire('shared-name');
    const clash = await manager
      .semaphore('shared-name', { permits: 2 })
      .acquire()
      .catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(LockBackendError);
    expect((clash as Error).message).toMatch(/not a lock of this library/);
    await lock.release();
  });
});

describe('semaphore across OS processes, with holders killed (SIGKILL)', () => {
  const db = useRedisServer();

  const ttl = 3_000;

  it('8 processes, 3 permits: never more than 3 holders, and never fewer while others wait, once a dead holder’s permits expire', async () => {
    const logs = await raceForPermits({
      port: db.server.port,
      key: 'pool',
      permits: 3,
      ttl,
      workers: 8,
      durationMs: 10_000,
      killEveryMs: 700,
      killUntilMs: ttl + 1_000,
    });
    const holds = logs.flatMap((log) => log.holds);
    const kills = logs.filter((log) => log.killedHolding);
    // Contention and faults enough to mean something: every worker back for more several times
    // (a count, not a rate: on a loaded machine the 10 s hold far fewer than the usual 300).
    expect(holds.length).toBeGreaterThanOrEqual(5 * 8);
    expect(kills.length).toBeGreaterThanOrEqual(3);
    expect(maxConcurrency(logs)).toBe(3);

    // A dead holder's permits stay taken until their ttl passes (at most ttl after the kill,
    // plus a second for a waiter to notice); outside that, a free permit with callers waiting
    // is only ever a hand-off.
    const idle = idleWhileWaiting(logs, 3, ttl + 1_000);
    const longest = Math.max(0, ...idle.map((period) => period.ms));
    if (process.env.REPORT) {
      console.log({
        holds: holds.length,
        kills: kills.length,
        killed: logs.filter((l) => l.killedAt).length,
        workers: logs.length,
        longest,
        idle: idle.length,
      });
    }
    expect(longest).toBeLessThan(1_500);
    // Control: counted as free from the moment of the kill, the dead permits show up as long
    // idle periods, so the check above can see a permit that stays lost.
    const asIfFreedAtKill = idleWhileWaiting(logs, 3, 0);
    expect(Math.max(...asIfFreedAtKill.map((period) => period.ms))).toBeGreaterThan(1_500);

    // Every permit came back: no holder is left, and the semaphore is gone from Redis.
    expect(await db.redis.exists('lock:pool')).toBe(0);
  }, 60_000);

  it('detects a semaphore that admits everyone (the control experiment)', async () => {
    const logs = await raceForPermits({
      port: db.server.port,
      key: 'not-a-semaphore',
      permits: 3,
      ttl,
      workers: 5,
      durationMs: 1_500,
      entry: require.resolve('../support/workers/no-semaphore.cjs'),
    });
    expect(maxConcurrency(logs)).toBeGreaterThan(3);
  }, 30_000);
});
