import { setTimeout as sleep } from 'node:timers/promises';
import { LockManager } from '../../lib/core/index.js';
import { keySlot } from '../../lib/core/util/key-slot.util.js';
import { type RedisCluster } from '../support/redis-cluster.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';
import { until } from '../support/until.js';
import { useRedisCluster } from '../support/suites.js';

// Checks ask the cluster's nodes, some all of its masters: not as often as on one server.
const CHECK_EVERY = { everyMs: 10 };

// Polling so slow, and queue places so long, that a waiter served within jest's 30 s can only
// have been woken by a (sharded) announcement.
const NO_POLLING = { retry: { minDelay: 60_000, maxDelay: 60_000 }, waiterTtl: 120_000 };
const LONG_WAIT = { waitTimeout: 60_000 };

/** Every key on the masters whose name contains `part`. */
async function keysLike(cluster: RedisCluster, part: string): Promise<string[]> {
  const found: string[] = [];
  for (const master of await cluster.masters()) {
    found.push(...((await master.command('KEYS', `*${part}*`)) as string[]));
  }
  return found.sort();
}

describe('semaphores, read-write locks and fair locks on a Redis Cluster', () => {
  const unhandled = recordUnhandledRejections();
  const redis = useRedisCluster();
  let manager: LockManager;
  let waiter: LockManager;

  beforeEach(() => {
    manager = new LockManager(redis.client);
    waiter = new LockManager(redis.client, NO_POLLING);
  });
  afterEach(async () => {
    await Promise.all([manager.close(), waiter.close()]);
    expect(unhandled).toEqual([]);
  });

  it('keeps every key of a primitive in one slot, for keys spread over every master', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `spread-${i}`);
    const slots = new Set<number>();
    for (const name of names) {
      slots.add(keySlot(`lock:${name}`));
      // A held write lock with a writer queued, a held fair lock with a waiter queued, a
      // semaphore with holders: each with all its bookkeeping keys in Redis at once.
      const rw = manager.readWriteLock(`rw:${name}`);
      const write = await rw.write();
      const queuedWrite = waiter.readWriteLock(`rw:${name}`).write(LONG_WAIT);
      const fair = await manager.acquire(`fair:${name}`, { fair: true });
      const queuedFair = waiter.acquire(`fair:${name}`, { fair: true, ...LONG_WAIT });
      const permit = await manager.semaphore(`sem:${name}`, { permits: 2 }).acquire();
      // rw: state + writer queue + its expiries; fair: lock + queue + expiries; sem: one key.
      for (const [primitive, count] of [
        [`rw:${name}`, 3],
        [`fair:${name}`, 3],
        [`sem:${name}`, 1],
      ] as const) {
        const keys = async (): Promise<string[]> =>
          (await keysLike(redis.cluster, primitive)).filter((key) => !key.includes('#fence'));
        await until(
          async () => (await keys()).length === count,
          `the keys of ${primitive}`,
          CHECK_EVERY,
        );
        expect(new Set((await keys()).map((key) => keySlot(key))).size).toBe(1);
      }
      await write.release();
      await (await queuedWrite).release();
      await fair.release();
      await (await queuedFair).release();
      await permit.release();
    }
    // The keys landed on several masters.
    const masters = await redis.cluster.masters();
    const owners = await Promise.all([...slots].map((slot) => redis.cluster.masterOf(slot)));
    expect(new Set(owners.map((m) => m.url)).size).toBe(masters.length);
    expect(
      (await keysLike(redis.cluster, 'spread')).filter((key) => !key.includes('#fence')),
    ).toEqual([]);
  });

  it('wakes waiters through sharded pub/sub: a permit, the readers behind a writer, the next fair waiter', async () => {
    const permit = await manager.semaphore('wake-sem', { permits: 1 }).acquire();
    const waitingPermit = waiter.semaphore('wake-sem', { permits: 1 }).acquire(LONG_WAIT);

    const write = await manager.readWriteLock('wake-rw').write();
    const readers = Array.from({ length: 3 }, () =>
      waiter.readWriteLock('wake-rw').read(LONG_WAIT),
    );

    const fair = await manager.acquire('wake-fair', { fair: true });
    const nextFair = waiter.acquire('wake-fair', { fair: true, ...LONG_WAIT });

    for (const channel of ['lock:wake-sem', 'lock:wake-rw', 'lock:wake-fair']) {
      const master = await redis.cluster.masterOf(keySlot(channel));
      await until(
        async () => {
          const reply = (await master.command('PUBSUB', 'SHARDNUMSUB', channel)) as [
            string,
            number,
          ];
          return Number(reply[1]) === 1;
        },
        `a sharded subscription to ${channel}`,
        CHECK_EVERY,
      );
    }
    await sleep(50);
    await Promise.all([permit.release(), write.release(), fair.release()]);
    const woken = await Promise.all([waitingPermit, ...readers, nextFair]);
    expect(woken.every((lease) => lease.isHeld)).toBe(true);
    await Promise.all(woken.map((lease) => lease.release()));
  });

  it('works through an ioredis keyPrefix on the Cluster client', async () => {
    const prefixed = redis.cluster.client({ keyPrefix: 'app:' });
    const local = new LockManager(prefixed);
    try {
      const write = await local.readWriteLock('prefixed').write();
      const queued = local.readWriteLock('prefixed').write(LONG_WAIT);
      const fair = await local.acquire('prefixed-fair', { fair: true });
      const queuedFair = local.acquire('prefixed-fair', { fair: true, ...LONG_WAIT });
      const permit = await local.semaphore('prefixed-sem', { permits: 1 }).acquire();
      await until(
        async () => (await keysLike(redis.cluster, 'prefixed')).length >= 7,
        'the keys',
        CHECK_EVERY,
      );
      const keys = await keysLike(redis.cluster, 'prefixed');
      expect(keys.every((key) => key.startsWith('app:lock:'))).toBe(true);
      await write.release();
      await (await queued).release();
      await fair.release();
      await (await queuedFair).release();
      await permit.release();
    } finally {
      await local.close();
      prefixed.disconnect();
    }
  });
});
