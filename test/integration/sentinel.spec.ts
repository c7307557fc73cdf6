import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  type Lock,
  type LockReplicaShortfallEvent,
  LockLostError,
  LockManager,
  LockReplicationError,
  LockTimeoutError,
} from '../../lib/core/index.js';
import { startSentinelGroup, type SentinelGroup } from '../support/redis-sentinel.js';
import { stopAllRedis } from '../support/redis-server.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';
import { until } from '../support/until.js';

describe('Sentinel (master + replica + 3 sentinels) and waitForReplicas', () => {
  const unhandled = recordUnhandledRejections();
  let group: SentinelGroup;
  let client: Redis;

  beforeAll(async () => {
    group = await startSentinelGroup();
    client = group.client();
  }, 60_000);
  afterEach(() => {
    group.replica.resume();
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    await group?.stop();
    await stopAllRedis();
  });

  it('with waitForReplicas, acquire returns only once the replica has the lock', async () => {
    const manager = new LockManager(client, { waitForReplicas: { replicas: 1, timeout: 10_000 } });
    await (await manager.acquire('warm')).release();
    group.replica.pause();
    let lock: Lock | undefined;
    const pending = manager.acquire('replicated').then((l) => (lock = l));
    await sleep(300);
    // Taken on the master, but the frozen replica cannot acknowledge it: not returned yet.
    expect(lock).toBeUndefined();
    expect(await group.master.command('EXISTS', 'lock:replicated')).toBe(1);
    group.replica.resume();
    await pending;
    expect(await group.replica.command('HGET', 'lock:replicated', 't')).toBe(lock!.token);
    await lock!.release();
    await manager.close();
  });

  it('onShortfall "fail": too few acknowledgements release the lock and fail the attempt', async () => {
    const manager = new LockManager(client, {
      waitForReplicas: { replicas: 1, timeout: 100, onShortfall: 'fail' },
    });
    group.replica.pause();
    const tried = await manager.tryAcquire('short').catch((e: unknown) => e);
    expect(tried).toBeInstanceOf(LockReplicationError);
    expect(tried).toMatchObject({ acknowledged: 0, required: 1, timeout: 100 });
    expect((tried as Error).message).toMatch(/only 0 of 1 required replicas acknowledged/);
    expect(await group.master.command('EXISTS', 'lock:short')).toBe(0);

    const waited = await manager.acquire('short', { waitTimeout: 300 }).catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(LockTimeoutError);
    expect((waited as LockTimeoutError).cause).toBeInstanceOf(LockReplicationError);
    expect(await group.master.command('EXISTS', 'lock:short')).toBe(0);
    group.replica.resume();

    // More replicas than exist: 1 of 2.
    const two = new LockManager(client, { waitForReplicas: { replicas: 2, timeout: 50 } });
    await expect(two.tryAcquire('two')).rejects.toMatchObject({ acknowledged: 1, required: 2 });
    await two.close();
    await manager.close();
  });

  it('onShortfall "report": the lock is returned and a replicaShortfall event says so', async () => {
    const manager = new LockManager(client, {
      waitForReplicas: { replicas: 1, timeout: 100, onShortfall: 'report' },
    });
    const events: LockReplicaShortfallEvent[] = [];
    manager.on('replicaShortfall', (event) => events.push(event));
    const healthy = await manager.acquire('reported');
    await healthy.release();
    expect(events).toEqual([]);
    group.replica.pause();
    const lock = await manager.acquire('reported');
    expect(events).toEqual([
      { key: 'reported', fencingToken: lock.fencingToken, acknowledged: 0, required: 1 },
    ]);
    expect(await group.master.command('HGET', 'lock:reported', 't')).toBe(lock.token);
    await lock.release();
    await manager.close();
  });

  it('failover while a lock is held: the holder keeps it or is told, a second holder is fenced, and locking goes on', async () => {
    const strict = new LockManager(client, {
      waitForReplicas: { replicas: 1, timeout: 500, onShortfall: 'fail' },
    });
    const extendedAt: number[] = [];
    const lost: Array<{ at: number; error: LockLostError }> = [];
    strict.on('extended', () => extendedAt.push(Date.now()));
    strict.on('lost', ({ error }) => lost.push({ at: Date.now(), error }));
    const holder = await strict.acquire('held-over', { ttl: 3_000, autoExtend: true });

    const competitorClient = group.client();
    const competitor = new LockManager(competitorClient);
    let stolen: { lock: Lock; at: number } | undefined;
    let stop = false;
    const competing = (async () => {
      while (!stop && !stolen) {
        const lock = await competitor.tryAcquire('held-over').catch(() => null);
        if (lock) stolen = { lock, at: Date.now() };
        await sleep(50);
      }
    })();

    const killedAt = Date.now();
    const { promoted, tookMs } = await group.failover();
    // Two renewal periods after the promotion.
    await sleep(2_200);
    stop = true;
    await competing;

    const kept = !holder.signal.aborted;
    const firstRenewalAfter = extendedAt.find((at) => at > killedAt);
    process.stdout.write(
      `sentinel failover: promoted after ${tookMs} ms; holder ${
        kept
          ? `kept the lock, first renewal ${firstRenewalAfter! - killedAt} ms after the kill`
          : `was told ${lost[0]!.at - killedAt} ms after the kill (${lost[0]!.error.reason})`
      }; competitor ${stolen ? `got it ${stolen.at - killedAt} ms after the kill` : 'never got it'}\n`,
    );
    if (kept) {
      // WAIT made sure the replica had the lock before it was handed out.
      expect(stolen).toBeUndefined();
      expect(await promoted.command('HGET', 'lock:held-over', 't')).toBe(holder.token);
      await holder.release();
    } else {
      expect(lost[0]!.error).toBeInstanceOf(LockLostError);
      await expect(holder.release()).rejects.toBeInstanceOf(LockLostError);
    }
    if (stolen) {
      expect(stolen.lock.fencingToken).toBeGreaterThan(holder.fencingToken);
      if (kept) throw new Error('two holders at once');
      await stolen.lock.release();
    }

    // The app keeps locking on the promoted master. With no replica left, the strict manager
    // refuses to hand out locks a second failover would lose; a manager without WAIT goes on.
    const plain = await competitor.acquire('after-failover');
    expect(plain.fencingToken).toBeGreaterThan(holder.fencingToken);
    await plain.release();
    await expect(strict.tryAcquire('after-failover')).rejects.toBeInstanceOf(LockReplicationError);

    // The old master comes back (empty) as a replica of the promoted one (what the Sentinels
    // would also tell it, a few INFO periods later): WAIT is satisfied again.
    const killed = group.master === promoted ? group.replica : group.master;
    await killed.restart();
    await killed.command('REPLICAOF', '127.0.0.1', promoted.port);
    await until(
      async () => /master_link_status:up/.test(String(await killed.command('INFO', 'replication'))),
      'the old master to sync as a replica',
      { timeoutMs: 20_000, everyMs: 20, retryErrors: true },
    );
    const again = await strict.acquire('after-failover', { waitTimeout: 10_000 });
    expect(await killed.command('HGET', 'lock:after-failover', 't')).toBe(again.token);
    await again.release();

    await strict.close();
    await competitor.close();
  }, 60_000);
});
