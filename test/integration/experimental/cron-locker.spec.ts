import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Redis, type Cluster } from 'ioredis';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockLostError,
  LockManager,
} from '../../../lib/core/index.js';
import { RedisCronLocker } from '../../../lib/experimental/index.js';
import { forkWorker, nextMessage } from '../../support/processes.js';
import { freePort } from '../../support/redis-server.js';
import { useRedisCluster, useRedisServer } from '../../support/suites.js';
import { until } from '../../support/until.js';

const INSTANCES = 4;

/** What the cron locker suite runs on: managers of separate connections to one topology. */
interface CronTarget {
  readonly clients: readonly (Redis | Cluster)[];
  /** The worker argument naming the topology. */
  workerTarget(): Promise<string>;
}

function cronLockerContract(target: () => CronTarget): void {
  let prefix: string;
  let managers: LockManager[];
  let lockers: RedisCronLocker[];
  const redis = (): Redis | Cluster => target().clients[0]!;
  /** The job's lock as Redis names it (the manager's 'lock:' prefix, then the locker's). */
  const lockKey = (key: string): string => `lock:${prefix}${key}`;

  beforeEach(() => {
    prefix = `cron-${randomUUID()}:`;
    managers = target().clients.map((client) => new LockManager(client));
    lockers = managers.map((manager) => new RedisCronLocker(manager, { keyPrefix: prefix }));
  });
  afterEach(async () => {
    for (const manager of managers) await manager.close();
  });

  /** Ends a job lock on Redis's clock, as if its ttl had run out. */
  async function expire(key: string): Promise<void> {
    await redis().pexpire(lockKey(key), 1);
    await until(async () => (await redis().exists(lockKey(key))) === 0, `${key} to expire`);
  }

  it('lets one instance run a tick, until it releases; then the next tick runs anywhere', async () => {
    const [a, b] = lockers;
    expect(await a!.tryAcquire('settle', 10_000)).toBe(true);
    expect(await b!.tryAcquire('settle', 10_000)).toBe(false);
    // The instance that runs it does not run it twice either (an overlapping tick).
    expect(await a!.tryAcquire('settle', 10_000)).toBe(false);
    await a!.release('settle');
    expect(await redis().exists(lockKey('settle'))).toBe(0);
    expect(await b!.tryAcquire('settle', 10_000)).toBe(true);
    await b!.release('settle');
  });

  it('of every instance firing the same tick at once, exactly one runs it', async () => {
    for (let tick = 0; tick < 5; tick++) {
      const ran = await Promise.all(lockers.map((locker) => locker.tryAcquire('report', 10_000)));
      expect(ran.filter(Boolean)).toHaveLength(1);
      await lockers[ran.indexOf(true)]!.release('report');
    }
  });

  it('holds the lock for ttlMs, measured by Redis, and not renewed', async () => {
    expect(await lockers[0]!.tryAcquire('ttl', 2_500)).toBe(true);
    const pttl = await redis().pttl(lockKey('ttl'));
    expect(pttl).toBeGreaterThan(2_000);
    expect(pttl).toBeLessThanOrEqual(2_500);
    await expire('ttl');
    expect(await lockers[1]!.tryAcquire('ttl', 2_500)).toBe(true);
  });

  it('reports a job that outlived its ttl: release() rejects with LockLostError', async () => {
    expect(await lockers[0]!.tryAcquire('long', 5_000)).toBe(true);
    await expire('long');
    expect(await lockers[1]!.tryAcquire('long', 5_000)).toBe(true);
    await expect(lockers[0]!.release('long')).rejects.toBeInstanceOf(LockLostError);
    // The other instance's lock is untouched.
    expect(await lockers[0]!.tryAcquire('long', 5_000)).toBe(false);
    await lockers[1]!.release('long');
    // Nothing left to give back: release() of a key it holds nothing for does nothing.
    await expect(lockers[0]!.release('long')).resolves.toBeUndefined();
  });

  it('overlapping runs in one process: each release() gives back the oldest lock, never a newer run’s', async () => {
    const [a, b] = lockers;
    expect(await a!.tryAcquire('overlap', 5_000)).toBe(true);
    await expire('overlap');
    expect(await a!.tryAcquire('overlap', 5_000)).toBe(true);
    // The first run ends: its lock had expired; the second run's lock stays.
    await expect(a!.release('overlap')).rejects.toBeInstanceOf(LockLostError);
    expect(await b!.tryAcquire('overlap', 5_000)).toBe(false);
    await a!.release('overlap');
    expect(await b!.tryAcquire('overlap', 5_000)).toBe(true);
    await b!.release('overlap');
  });

  it('with lockAtLeastFor, a tick that fires late on another instance is skipped, not run twice', async () => {
    const [a, b] = lockers;
    // Without it: the job finished and released, and a late tick runs it again.
    expect(await a!.tryAcquire('late', 10_000)).toBe(true);
    await a!.release('late');
    expect(await b!.tryAcquire('late', 10_000)).toBe(true);
    await b!.release('late');

    const holding = new RedisCronLocker(managers[0]!, { keyPrefix: prefix, lockAtLeastFor: 1_000 });
    expect(await holding.tryAcquire('held', 10_000)).toBe(true);
    await holding.release('held');
    // Released later, not now: the late tick is skipped.
    expect(await redis().exists(lockKey('held'))).toBe(1);
    expect(await redis().pttl(lockKey('held'))).toBeGreaterThan(1_000);
    expect(await b!.tryAcquire('held', 10_000)).toBe(false);
    // Then the hold ends with a release (the key is gone long before its ttl).
    await until(async () => (await redis().exists(lockKey('held'))) === 0, 'the hold to end');
    expect(await b!.tryAcquire('held', 10_000)).toBe(true);
    await b!.release('held');
  });

  it('refuses bad input with a typed error before any Redis call', async () => {
    const [locker] = lockers;
    await expect(locker!.tryAcquire(undefined as unknown as string, 1_000)).rejects.toMatchObject({
      name: 'InvalidLockOptionsError',
      option: 'key',
    });
    for (const ttl of [0, 5, 1.5, '1000', Number.NaN]) {
      await expect(locker!.tryAcquire('job', ttl as number)).rejects.toMatchObject({
        name: 'InvalidLockOptionsError',
        option: 'ttl',
      });
    }
    expect(() => new RedisCronLocker(redis() as unknown as LockManager)).toThrow(
      InvalidLockOptionsError,
    );
    expect(() => new RedisCronLocker(managers[0]!, { keyPrefix: 7 as unknown as string })).toThrow(
      /keyPrefix must be a string/,
    );
    expect(
      () => new RedisCronLocker(managers[0]!, { prefix: 'x' } as unknown as { keyPrefix: string }),
    ).toThrow(/Unknown RedisCronLocker option "prefix"/);
    for (const lockAtLeastFor of [-1, 1.5, '100', 2 ** 31]) {
      expect(
        () => new RedisCronLocker(managers[0]!, { lockAtLeastFor: lockAtLeastFor as number }),
      ).toThrow(/lockAtLeastFor must be a whole number/);
    }
  });

  it(`of ${INSTANCES} processes firing the same ticks, exactly one runs each`, async () => {
    const where = await target().workerTarget();
    const workers: ChildProcess[] = Array.from({ length: INSTANCES }, () =>
      // The processes get each tick a few milliseconds apart, as instances do: the first run's
      // release would let a later one run it again without the hold.
      forkWorker('cron-locker-worker.cjs', [where, prefix, '1000']),
    );
    try {
      await Promise.all(workers.map((worker) => nextMessage(worker, 'ready')));
      for (let tick = 0; tick < 3; tick++) {
        const ticked = Promise.all(
          workers.map((worker) => nextMessage<{ type: string; ran: boolean }>(worker, 'ticked')),
        );
        for (const worker of workers) worker.send({ type: 'tick', key: 'nightly', ttlMs: 30_000 });
        expect((await ticked).filter((message) => message.ran)).toHaveLength(1);
        // The run's release comes once the hold is over: the next tick comes after it.
        await until(async () => (await redis().exists(lockKey('nightly'))) === 0, 'the release');
      }
    } finally {
      for (const worker of workers) if (worker.connected) worker.send({ type: 'exit' });
    }
  });
}

describe('RedisCronLocker (the @nestjs/schedule CronLocker) on a single Redis', () => {
  const db = useRedisServer();
  const clients: Redis[] = [];
  beforeAll(() => {
    clients.push(db.redis, db.server.client(), db.server.client(), db.server.client());
  });

  cronLockerContract(() => ({
    clients,
    workerTarget: async () => `redis:${db.server.port}`,
  }));

  it('reports an unreachable Redis as LockBackendError, never as "another instance runs it"', async () => {
    const offline = new Redis({
      port: await freePort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const manager = new LockManager(offline);
    try {
      await expect(new RedisCronLocker(manager).tryAcquire('job', 1_000)).rejects.toBeInstanceOf(
        LockBackendError,
      );
    } finally {
      await manager.close();
      offline.disconnect();
    }
  });
});

describe('RedisCronLocker (the @nestjs/schedule CronLocker) on a Redis Cluster', () => {
  const redis = useRedisCluster();
  const clients: Cluster[] = [];
  beforeAll(() => {
    clients.push(redis.client, redis.cluster.client(), redis.cluster.client());
  });

  cronLockerContract(() => ({
    clients,
    workerTarget: async () =>
      `cluster:${(await redis.cluster.masters()).map((m) => m.port).join(',')}`,
  }));
});
