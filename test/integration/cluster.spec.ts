import { setTimeout as sleep } from 'node:timers/promises';
import { type Lock, LockLostError, LockManager } from '../../lib/core/index.js';
import { keySlot } from '../../lib/core/util/key-slot.util.js';
import { type RedisCluster } from '../support/redis-cluster.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';
import { until } from '../support/until.js';
import { useRedisCluster } from '../support/suites.js';

// Each check asks a cluster node, and slots move slowly: patiently, and not too often.
const PATIENTLY = { timeoutMs: 15_000, everyMs: 20 };

/** A key name whose slot is served by `master`, different from the ones in `not`. */
async function keyOn(
  cluster: RedisCluster,
  master: string,
  prefix: string,
  not: string[] = [],
): Promise<string> {
  for (let i = 0; ; i++) {
    const key = `${prefix}${i}`;
    if (not.includes(key)) continue;
    if ((await cluster.masterOf(keySlot(`lock:${key}`))).url === master) return key;
  }
}

// Polling so slow that a waiter served within the test's time (jest's 30 s) can only have been
// woken by the release's sharded pub/sub announcement.
const NO_POLLING = { retry: { minDelay: 60_000, maxDelay: 60_000 } };

async function shardSubscribers(
  server: { command: (...a: string[]) => Promise<unknown> },
  channel: string,
): Promise<number> {
  const reply = (await server.command('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

describe('Redis Cluster (3 masters + 3 replicas, real processes)', () => {
  const unhandled = recordUnhandledRejections();
  const redis = useRedisCluster();
  let manager: LockManager;

  beforeEach(() => {
    manager = new LockManager(redis.client);
  });
  afterEach(async () => {
    await manager.close();
    expect(unhandled).toEqual([]);
  });

  it('locks keys spread over every master, each with its slot’s own fencing counter', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `spread:${i}`);
    const locks = await Promise.all(keys.map((key) => manager.acquire(key)));
    const owners = new Set<string>();
    for (const lock of locks.slice(0, 30)) {
      const master = await redis.cluster.masterOf(keySlot(`lock:${lock.key}`));
      owners.add(master.url);
      expect(await master.command('HGET', `lock:${lock.key}`, 't')).toBe(lock.token);
    }
    expect((await redis.cluster.masters()).every((m) => owners.has(m.url))).toBe(true);
    await Promise.all(locks.map((lock) => lock.release()));
    for (const key of keys.slice(0, 30)) expect(await redis.client.exists(`lock:${key}`)).toBe(0);
  });

  it('wakes a waiter through sharded pub/sub on each master', async () => {
    const slow = new LockManager(redis.client, NO_POLLING);
    const attempts: number[] = [];
    slow.on('acquired', (event) => attempts.push(event.attempts));
    const masters = await redis.cluster.masters();
    for (const master of masters) {
      const key = await keyOn(redis.cluster, master.url, 'wake:');
      const holder = await manager.acquire(key, { ttl: 60_000 });
      const waiting = slow.acquire(key, { waitTimeout: 60_000 });
      // Subscribed on the master that owns the key's slot, with SSUBSCRIBE.
      await until(
        async () => (await shardSubscribers(master, `lock:${key}`)) === 1,
        'SSUBSCRIBE',
        PATIENTLY,
      );
      expect(await shardSubscribers(master, `lock:${key}`)).toBe(1);
      await holder.release();
      // No polling for a minute: only the release's SPUBLISH on that master can wake it.
      const lock = await waiting;
      expect(lock.fencingToken).toBeGreaterThan(holder.fencingToken);
      expect(await master.command('HGET', `lock:${key}`, 't')).toBe(lock.token);
      await lock.release();
    }
    // Each waiter (a fair lock's, the default): its first attempt, which queued it, and the one
    // the release's message started. Nothing in between: no poll, no other wakeup.
    expect(attempts).toEqual(masters.map(() => 2));
    await slow.close();
  });

  it('a multi-key lock across slots: all or nothing, one fencing token above every earlier holder of each key', async () => {
    const masters = await redis.cluster.masters();
    const keys = [
      await keyOn(redis.cluster, masters[0]!.url, 'acct:'),
      await keyOn(redis.cluster, masters[1]!.url, 'acct:'),
      await keyOn(redis.cluster, masters[2]!.url, 'acct:'),
    ];
    const singles = await Promise.all(keys.map((key) => manager.acquire(key)));
    await Promise.all(singles.map((lock) => lock.release()));

    const lock = await manager.acquire(keys);
    for (const key of keys) {
      expect(await redis.client.hmget(`lock:${key}`, 't', 'f')).toEqual([
        lock.token,
        String(lock.fencingToken),
      ]);
    }
    for (const single of singles) expect(lock.fencingToken).toBeGreaterThan(single.fencingToken);
    await lock.extend();
    await lock.release();
    // Every later holder of any of the keys gets a larger token, whichever slot's clock is ahead.
    for (const key of keys) {
      const after = await manager.acquire(key);
      expect(after.fencingToken).toBeGreaterThan(lock.fencingToken);
      await after.release();
    }

    // One key held elsewhere: nothing is taken, and the wait ends with the whole set.
    const other = new LockManager(redis.client);
    const blocker = await other.acquire(keys[1]!);
    expect(await manager.tryAcquire(keys)).toBeNull();
    expect(await redis.client.exists(`lock:${keys[0]}`)).toBe(0);
    expect(await redis.client.exists(`lock:${keys[2]}`)).toBe(0);
    const waiting = manager.acquire(keys, { waitTimeout: 5_000 });
    await sleep(100);
    await blocker.release();
    const whole = await waiting;
    expect(whole.keys).toEqual([...keys].sort());
    await whole.release();
    await other.close();
  });

  it('transfers across slots in opposite directions never deadlock and conserve the balances', async () => {
    const masters = await redis.cluster.masters();
    const alice = await keyOn(redis.cluster, masters[0]!.url, 'alice:');
    const bob = await keyOn(redis.cluster, masters[1]!.url, 'bob:');
    await redis.client.set(`{${alice}}:balance`, 1_000);
    await redis.client.set(`{${bob}}:balance`, 1_000);
    const other = new LockManager(redis.client);
    const transfer = async (m: LockManager, from: string, to: string): Promise<void> => {
      for (let i = 0; i < 150; i++) {
        await m.withLock(
          [from, to],
          async () => {
            const a = Number(await redis.client.get(`{${from}}:balance`));
            const b = Number(await redis.client.get(`{${to}}:balance`));
            await redis.client.set(`{${from}}:balance`, a - 1);
            await redis.client.set(`{${to}}:balance`, b + 1);
          },
          { waitTimeout: 30_000 },
        );
      }
    };
    await Promise.all([
      transfer(manager, alice, bob),
      transfer(other, bob, alice),
      transfer(other, alice, bob),
      transfer(manager, bob, alice),
    ]);
    expect(await redis.client.get(`{${alice}}:balance`)).toBe('1000');
    expect(await redis.client.get(`{${bob}}:balance`)).toBe('1000');
    await other.close();
  }, 60_000);

  it('works through an ioredis keyPrefix on the Cluster client', async () => {
    const prefixed = redis.cluster.client({ keyPrefix: 'tenant:' });
    const tenant = new LockManager(prefixed);
    const keys = ['p:1', 'p:2', 'p:3', 'p:4'];
    const lock = await tenant.acquire(keys);
    for (const key of keys)
      expect(await redis.client.hget(`tenant:lock:${key}`, 't')).toBe(lock.token);
    const waiting = tenant.acquire('p:2', { waitTimeout: 5_000 });
    await lock.release();
    await (await waiting).release();
    await tenant.close();
    prefixed.disconnect();
  });

  it('a slot moved to another master during a hold (MOVED): renewal, wakeups and release follow it', async () => {
    const masters = await redis.cluster.masters();
    const key = await keyOn(redis.cluster, masters[0]!.url, 'moved:');
    const slot = keySlot(`lock:${key}`);
    const slow = new LockManager(redis.client, NO_POLLING);
    const lock = await manager.acquire(key, { ttl: 900, autoExtend: true });
    const waiting = slow.acquire(key, { waitTimeout: 60_000 });
    await until(
      async () => (await shardSubscribers(masters[0]!, `lock:${key}`)) === 1,
      'the waiter to subscribe on the first owner',
      PATIENTLY,
    );

    await redis.cluster.moveSlot(slot, masters[1]!);
    expect((await redis.cluster.masterOf(slot)).url).toBe(masters[1]!.url);
    // Several renewals (every 300 ms) after the move: each is redirected to the new owner.
    await sleep(1_500);
    expect(lock.signal.aborted).toBe(false);
    expect(await masters[1]!.command('HGET', `lock:${key}`, 't')).toBe(lock.token);
    expect(await masters[1]!.command('PTTL', `lock:${key}`)).toBeGreaterThan(0);
    // The old owner dropped the sharded subscription; the client followed the slot.
    await until(
      async () => (await shardSubscribers(masters[1]!, `lock:${key}`)) === 1,
      'the subscription to follow the slot',
      PATIENTLY,
    );

    await lock.release();
    const next = await waiting;
    await next.release();
    await slow.close();
  }, 30_000);

  it('waitForReplicas on a Cluster: WAIT goes to the master of each slot group, in the same round trip', async () => {
    const replicated = new LockManager(redis.client, {
      waitForReplicas: { replicas: 1, timeout: 2_000 },
    });
    const masters = await redis.cluster.masters();
    const keys = await Promise.all(masters.map((m) => keyOn(redis.cluster, m.url, 'wait:')));
    const lock = await replicated.acquire(keys);
    for (const [i, key] of keys.entries()) {
      // READONLY: a replica answers reads of its master's slots instead of redirecting.
      const replica = (await redis.cluster.replicaOf(masters[i]!)).client();
      await replica.call('READONLY');
      expect(await replica.hget(`lock:${key}`, 't')).toBe(lock.token);
      replica.disconnect();
    }
    await lock.release();
    await replicated.close();
  });

  it('a master killed during a hold: its replica takes over; the holder keeps the lock or is told, never two holders unnoticed', async () => {
    const masters = await redis.cluster.masters();
    const key = await keyOn(redis.cluster, masters[2]!.url, 'failover:');
    const slot = keySlot(`lock:${key}`);
    const lost: Array<{ at: number; error: LockLostError }> = [];
    manager.on('lost', ({ error }) => lost.push({ at: Date.now(), error }));
    const holder = await manager.acquire(key, { ttl: 4_000, autoExtend: true });

    // A competitor keeps trying while the master is gone.
    const competitor = new LockManager(redis.cluster.client());
    let stolen: { lock: Lock; at: number } | undefined;
    let stop = false;
    const competing = (async () => {
      while (!stop && !stolen) {
        const lock = await competitor.tryAcquire(key).catch(() => null);
        if (lock) stolen = { lock, at: Date.now() };
        await sleep(50);
      }
    })();

    const { promoted, tookMs } = await redis.cluster.failover(slot);
    // Several renewal periods after the takeover.
    await sleep(3_000);
    stop = true;
    await competing;

    const kept = !holder.signal.aborted;
    process.stdout.write(
      `cluster failover: replica took over in ${tookMs} ms; holder ${kept ? 'kept the lock' : `was told after ${lost[0]!.at - 0} (reason ${lost[0]!.error.reason})`}; competitor ${stolen ? 'got it' : 'never got it'}\n`,
    );
    if (kept) {
      // The lock was replicated before the kill: the promoted replica has it, renewals reach it.
      expect(stolen).toBeUndefined();
      expect(await promoted.command('HGET', `lock:${key}`, 't')).toBe(holder.token);
      await holder.release();
    } else {
      expect(lost[0]!.error).toBeInstanceOf(LockLostError);
      await expect(holder.release()).rejects.toBeInstanceOf(LockLostError);
    }
    if (stolen) {
      // Two holders at once would be caught by the fencing token.
      expect(stolen.lock.fencingToken).toBeGreaterThan(holder.fencingToken);
      await stolen.lock.release();
    }
    // The cluster keeps locking on the promoted master.
    const after = await manager.acquire(key);
    expect(after.fencingToken).toBeGreaterThan(holder.fencingToken);
    await after.release();
    await competitor.close();
  }, 60_000);
});
