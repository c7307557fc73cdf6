// Issue 13, defect 12: managed services and cluster proxies present one endpoint but enforce
// Cluster slot rules, refusing with CROSSSLOT a script whose keys are in two slots. A
// single-node Redis Cluster reached through a plain `Redis` client is such an endpoint: every
// slot is local (no MOVED), yet every command's keys must share one slot. Every operation of
// every primitive must work there, and the keys the engine leaves behind must stay bounded.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { type Lease, LockManager } from '../../../lib/core/index.js';
import { type RedisServer, startRedis, stopAllRedis } from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';
import { until } from '../../support/until.js';

/** Redis Cluster has 16384 slots: a bounded keyspace has at most one counter per slot. */
const SLOTS = 16_384;

describe('every script keeps its keys in one slot, on an endpoint that enforces slot rules', () => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  let client: Redis;
  let manager: LockManager;

  beforeAll(async () => {
    server = await startRedis({
      args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
    });
    await server.command('CLUSTER', 'ADDSLOTSRANGE', '0', String(SLOTS - 1));
    await until(
      async () => /cluster_state:ok/.test(String(await server.command('CLUSTER', 'INFO'))),
      'the one-node cluster to serve every slot',
      { everyMs: 50 },
    );
    // A plain client, as an application behind a cluster proxy has.
    client = server.client();
    // Short waits: a refused script is retried until waitTimeout today.
    manager = new LockManager(client, { waitTimeout: 2_000 });
  });
  afterEach(() => expect(unhandled).toEqual([]));
  afterAll(async () => {
    await manager.close();
    client.disconnect();
    await server.stop();
    await stopAllRedis();
  });

  it('the endpoint refuses keys of two slots (the premise of these tests)', async () => {
    await expect(client.eval("return redis.call('GET', KEYS[1])", 2, 'a', 'b')).rejects.toThrow(
      /CROSSSLOT/,
    );
  });

  it.each<[string, () => Promise<Lease | null>]>([
    ['acquire', () => manager.acquire('slots:plain')],
    ['tryAcquire', () => manager.tryAcquire('slots:try')],
    [
      'a multi-key acquire (keys in different slots)',
      () => manager.acquire(['slots:a', 'slots:b', 'slots:c']),
    ],
    ['a fair acquire', () => manager.acquire('slots:fair', { fair: true })],
    ['a semaphore permit', () => manager.semaphore('slots:sem', { permits: 2 }).acquire()],
    ['a read lock', () => manager.readWriteLock('slots:rw').read()],
    ['a write lock', () => manager.readWriteLock('slots:rw').write()],
  ])('%s, extend and release', async (_name, take) => {
    const lease = await take();
    expect(lease).not.toBeNull();
    await lease!.extend(20_000);
    await lease!.release();
  });

  it('withLock, with renewals of several locks in different slots batched together', async () => {
    const results = await Promise.all(
      ['slots:w1', 'slots:w2', 'slots:w3', 'slots:w4'].map((key) =>
        manager.withLock(
          key,
          async (lock) => {
            await sleep(250);
            return lock.isHeld && !lock.signal.aborted;
          },
          { ttl: 150 },
        ),
      ),
    );
    expect(results).toEqual([true, true, true, true]);
  });

  it('a waiter is woken by the release', async () => {
    const holder = await manager.acquire('slots:wait');
    const waiter = manager.acquire('slots:wait', { waitTimeout: 5_000 });
    await sleep(20);
    await holder.release();
    await (await waiter).release();
  });

  it('inspect, forceRelease and list', async () => {
    const lock = await manager.acquire('slots:ops');
    expect((await manager.inspect('slots:ops')).held).toBe(true);
    const listed: string[] = [];
    for await (const info of manager.list({ match: 'slots:ops' })) listed.push(info.key);
    expect(listed).toEqual(['slots:ops']);
    expect(await manager.forceRelease('slots:ops')).toBe(true);
    await lock.release().catch(() => undefined);
  });

  it('the keys left behind stay bounded: never more than one per slot, however many lock names', async () => {
    const names = Array.from({ length: SLOTS + 2_000 }, (_, i) => `bounded:${i}`);
    for (let start = 0; start < names.length; start += 500) {
      await Promise.all(
        names
          .slice(start, start + 500)
          .map(async (name) => (await manager.acquire(name)).release()),
      );
    }
    // Besides the fencing counters (one per slot), only the marks of the last releases, each
    // gone within 3 s (what a release resent after a reconnect recognises).
    const keys = await client.keys('*');
    const marks = keys.filter((key) => key.includes('#released:'));
    expect(keys.length - marks.length).toBeLessThanOrEqual(SLOTS);
    const ttls = await Promise.all(marks.slice(0, 200).map((key) => client.pttl(key)));
    expect(ttls.filter((ttl) => !(ttl === -2 || (ttl >= 0 && ttl <= 3_000)))).toEqual([]);
  }, 120_000);
});
