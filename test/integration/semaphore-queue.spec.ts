import type { ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InMemoryLockStore,
  LockAbortedError,
  LockManager,
  type LockManagerOptions,
  LockManagerClosedError,
  LockTimeoutError,
  type Permit,
} from '../../lib/core/index.js';
import { keyspaceOf } from '../../lib/core/memory/memory-keyspace.js';
import { toLockConnection } from '../../lib/core/redis/connection/to-lock-connection.js';
import { RedisBackend } from '../../lib/core/redis/redis-backend.js';
import { keySlot } from '../../lib/core/util/key-slot.util.js';
import { overlaps, raceForLock } from '../support/exclusion.js';
import { auxKey, keysLeft } from '../support/key-names.js';
import { forkWorker, nextMessage } from '../support/processes.js';
import { publishedDuring, subscribersOf } from '../support/published.js';
import { commandCalls, countByName, monitorCommands, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';
import { useRedisServer } from '../support/suites.js';

// Polling so slow, places kept so long and waits so long that a waiter served within jest's 30 s
// can only have been served by the grant that named it (a queued waiter also looks again every
// third of waiterTtl: 40 s here).
const NO_POLLING: LockManagerOptions = {
  retry: { minDelay: 60_000, maxDelay: 60_000 },
  waiterTtl: 120_000,
};
const LONG_WAIT = { waitTimeout: 60_000 } as const;

/**
 * `waiting`, marked as handled: a test that fails before it awaits a wait must not leave a
 * rejection (the manager's close) unhandled, which would end the jest worker.
 */
function handled<T>(waiting: Promise<T>): Promise<T> {
  waiting.catch(() => undefined);
  return waiting;
}

const queueKey = (key: string): string => auxKey('waiters', key);
const placesKey = (key: string): string => auxKey('waiters-expiry', key);

/** The semaphore driver itself, as a manager's would be, to stage a step by hand. */
function semaphoreDriver(redis: Redis) {
  return new RedisBackend(toLockConnection(redis)!, {
    keyPrefix: 'lock:',
    placeTtl: 120_000,
    subscriber: undefined,
    waitForReplicas: undefined,
  }).primitives().semaphore;
}

/**
 * What the queue tests need of a backend: managers on it (as other instances of the application
 * would have), and how many callers queue for a semaphore.
 */
interface QueueBackend {
  instance(options?: LockManagerOptions): LockManager;
  queued(key: string): Promise<number>;
}

function redisBackend(): QueueBackend {
  const db = useRedisServer();
  return {
    instance: (options) => db.manager(options),
    queued: (key) => db.redis.zcard(queueKey(key)),
  };
}

function memoryBackend(): QueueBackend {
  let store = new InMemoryLockStore();
  const managers: LockManager[] = [];
  beforeEach(() => {
    store = new InMemoryLockStore();
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.close()));
  });
  return {
    instance: (options) => {
      const manager = new LockManager(store, options);
      managers.push(manager);
      return manager;
    },
    queued: async (key) => keyspaceOf(store).semaphoreQueues.get(`lock:${key}`)?.places.size ?? 0,
  };
}

describe.each([
  ['Redis', redisBackend],
  ['the in-memory store', memoryBackend],
] as const)('semaphore queue on %s', (_name, backendOf) => {
  const backend = backendOf();

  it('grants permits in arrival order with mixed weights, never skipping a heavy head; a tryAcquire does not get ahead', async () => {
    const manager = backend.instance();
    const waiter = backend.instance(NO_POLLING);
    const pool = manager.semaphore('line', { permits: 3 });
    const holder = await pool.acquire({ weight: 3 });
    const weights = [2, 1, 3, 1];
    const order: number[] = [];
    const permits: Permit[] = [];
    const waits: Promise<unknown>[] = [];
    for (const [i, weight] of weights.entries()) {
      waits.push(
        handled(
          waiter
            .semaphore('line', { permits: 3 })
            .acquire({ ...LONG_WAIT, weight })
            .then((permit) => {
              order.push(i);
              permits[i] = permit;
            }),
        ),
      );
      await until(async () => (await backend.queued('line')) === i + 1, `waiter ${i} to queue`);
    }
    // 3 permits free: the first two (2 + 1) get in, the heavy third waits.
    await holder.release();
    await until(() => order.length === 2, 'the first two grants');
    expect(order).toEqual([0, 1]);
    // 2 permits free, the head needs 3: neither the light waiter behind it nor a single attempt
    // gets in ahead of it, and the attempt takes no place.
    await permits[0]!.release();
    expect(await pool.tryAcquire()).toBeNull();
    expect(await backend.queued('line')).toBe(2);
    await sleep(200);
    expect(order).toEqual([0, 1]);
    await permits[1]!.release();
    await until(() => order.length === 3, 'the heavy grant');
    expect(order).toEqual([0, 1, 2]);
    await permits[2]!.release();
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2, 3]);
    await permits[3]!.release();
    expect(await backend.queued('line')).toBe(0);
    // Every permit came back.
    await (await pool.tryAcquire({ weight: 3 }))!.release();
  });

  it('a waiter aborted or timing out just as permits are granted to it keeps none of them', async () => {
    const manager = backend.instance();
    const waiter = backend.instance(NO_POLLING);
    const pool = manager.semaphore('crossing', { permits: 2 });
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 20; round++) {
      const holder = await pool.acquire({ weight: 2 });
      const controller = new AbortController();
      // Each outcome is read as soon as it comes: on a loaded machine the short wait can end
      // before the test looks, which must not count as a rejection nobody handled.
      const outcomeOf = (acquiring: Promise<Permit>): Promise<string> =>
        acquiring.then(
          (permit) => permit.release().then(() => 'granted'),
          (error: unknown) => (error as Error).name,
        );
      const aborting = outcomeOf(
        waiter
          .semaphore('crossing', { permits: 2 })
          .acquire({ ...LONG_WAIT, weight: 2, signal: controller.signal }),
      );
      const timingOut = outcomeOf(
        waiter
          .semaphore('crossing', { permits: 2 })
          .acquire({ waitTimeout: 150 + (round % 5) * 10 }),
      );
      await until(async () => (await backend.queued('crossing')) === 2, 'both waiters to queue');
      // The release grants the aborted waiter (the head) while it gives up; the other gives up
      // about when its grant comes, or before.
      if (round % 2 === 0) await sleep(150 + (round % 5) * 10);
      const released = holder.release();
      controller.abort();
      for (const outcome of await Promise.all([aborting, timingOut])) {
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      await released;
      // Nothing is left behind: within moments (not the grant ttl of 120 s) nobody queues and
      // every permit can be taken at once.
      let all: Permit | null = null;
      await until(
        async () => (all = await pool.tryAcquire({ weight: 2 })) !== null,
        'every permit back',
        { timeoutMs: 3_000 },
      );
      expect(await backend.queued('crossing')).toBe(0);
      await all!.release();
    }
    expect(outcomes.get(LockAbortedError.name)).toBe(20);
  });

  it('a waiter whose manager closes while it queues leaves at once, and the one behind it is served', async () => {
    const manager = backend.instance();
    const closing = backend.instance(NO_POLLING);
    const waiter = backend.instance(NO_POLLING);
    const pool = manager.semaphore('closing', { permits: 1 });
    const holder = await pool.acquire();
    const first = closing
      .semaphore('closing', { permits: 1 })
      .acquire(LONG_WAIT)
      .catch((e: unknown) => e);
    await until(async () => (await backend.queued('closing')) === 1, 'the first waiter');
    const second = handled(waiter.semaphore('closing', { permits: 1 }).acquire(LONG_WAIT));
    await until(async () => (await backend.queued('closing')) === 2, 'the second waiter');
    await closing.close();
    expect(await first).toBeInstanceOf(LockManagerClosedError);
    await until(async () => (await backend.queued('closing')) === 1, 'the closed one to leave');
    const started = Date.now();
    await holder.release();
    const next = await second;
    // Served by the release, not after a place or grant ttl (120 s here).
    expect(Date.now() - started).toBeLessThan(5_000);
    await next.release();
  });
});

describe('semaphore queue: handoff on Redis', () => {
  const db = useRedisServer();

  const scriptCalls = async (): Promise<number> => {
    const calls = await commandCalls(db.server);
    return (calls.evalsha ?? 0) + (calls.eval ?? 0);
  };

  it('keeps each waiter’s place and weight with the server clock, and its keys in the semaphore’s slot', async () => {
    const manager = db.manager();
    const holder = await manager.semaphore('place', { permits: 2 }).acquire({ weight: 2 });
    const waiting = handled(
      db
        .manager(NO_POLLING)
        .semaphore('place', { permits: 2 })
        .acquire({ ...LONG_WAIT, weight: 2 }),
    );
    await until(async () => (await db.redis.zcard(queueKey('place'))) === 1, 'the waiter');
    const slots = ['lock:place', queueKey('place'), placesKey('place')].map((k) => keySlot(k));
    expect(new Set(slots).size).toBe(1);
    const [seconds] = (await db.redis.time()) as unknown as [string, string];
    // '<until>|<waiter id>|<weight>'
    const [place] = await db.redis.hvals(placesKey('place'));
    const [placeUntil, , weight] = place!.split('|');
    expect(Math.abs(Number(placeUntil) - (Number(seconds) * 1000 + 120_000))).toBeLessThan(1_000);
    expect(weight).toBe('2');
    await holder.release();
    await (await waiting).release();
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('a release hands the permits straight to the waiter: no acquire round trip, one extension to confirm them', async () => {
    const manager = db.manager();
    const waiter = db.manager(NO_POLLING);
    const holder = await manager.semaphore('handoff', { permits: 1 }).acquire({ ttl: 30_000 });
    const waiting = handled(
      waiter.semaphore('handoff', { permits: 1 }).acquire({ ...LONG_WAIT, ttl: 30_000 }),
    );
    await until(async () => (await db.redis.zcard(queueKey('handoff'))) === 1, 'the waiter');
    let next: Permit | undefined;
    const commands = await monitorCommands(db.server, async () => {
      await holder.release();
      next = await waiting;
      // Granted for the waiter's place ttl (120 s); its confirmation sets its own ttl.
      await until(async () => {
        const [, expiry] = await db.redis.zrangebyscore('lock:handoff', '(0', '+inf', 'WITHSCORES');
        const [seconds] = (await db.redis.time()) as unknown as [string, string];
        return Number(expiry) - Number(seconds) * 1000 <= 31_000;
      }, 'the confirmation');
    });
    // Besides this test's own looks (ZRANGEBYSCORE, TIME).
    const sent = commands.filter(([name]) => !/^(zrangebyscore|time)$/i.test(name!));
    const { eval: evals = 0, evalsha = 0, ...others } = countByName(sent);
    expect({ scripts: evals + evalsha, others }).toEqual({ scripts: 2, others: {} });
    // By their number of keys: the release (4) and the extension (1); no acquire (3).
    expect(sent.map((command) => command[2]).sort()).toEqual(['1', '4']);
    expect(next!.isHeld).toBe(true);
    expect(await db.redis.zscore('lock:handoff', `${next!.token}:1`)).not.toBeNull();
    await next!.release();
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('with four managers waiting, a release sends one grant, on the grantee’s manager’s channel; the other managers send nothing', async () => {
    // Before, every release announced `free` on the semaphore's channel: a waiter in every
    // manager woke and tried again, and all but one lost.
    const holder = await db.manager().semaphore('fan', { permits: 1 }).acquire({ ttl: 30_000 });
    const managers = Array.from({ length: 4 }, () => db.manager(NO_POLLING));
    const order: number[] = [];
    const permits: Permit[] = [];
    const waits = managers.map((manager, i) =>
      handled(
        manager
          .semaphore('fan', { permits: 1 })
          .acquire({ ...LONG_WAIT, ttl: 30_000 })
          .then((permit) => {
            order.push(i);
            permits[i] = permit;
          }),
      ),
    );
    await until(
      async () => (await db.redis.zcard(queueKey('fan'))) === managers.length,
      'every waiter to queue',
    );
    // The grant channel of each waiter, in queue order.
    const places = await db.redis.hgetall(placesKey('fan'));
    const line = await db.redis.zrange(queueKey('fan'), '0', '-1');
    const hubs = line.map((token) => places[token]!.split('|')[1]!.split('.')[0]!);
    expect(new Set(hubs).size).toBe(managers.length);
    const grantChannels = hubs.map((hub) => `${queueKey('fan')}#${hub}`);
    await until(async () => {
      const counts = await Promise.all(grantChannels.map((c) => subscribersOf(db.redis, c)));
      return counts.every((count) => count === 1);
    }, 'each manager to listen on its grant channel');
    // Each manager's waiter has looked again once subscribed; from now on only a grant moves it.
    await sleep(200);

    // One handoff: the release's script, and the grantee's extension that confirms its permit.
    // No other manager sends a command.
    const before = await scriptCalls();
    let commands: string[][] = [];
    const messages = await publishedDuring(db.redis, 'lock:*', async () => {
      commands = await monitorCommands(db.server, async () => {
        await holder.release();
        await until(() => order.length === 1, 'the first grant');
        await until(async () => (await scriptCalls()) - before >= 2, 'the confirmation');
        await sleep(200);
      });
    });
    const { eval: evals = 0, evalsha = 0, ...others } = countByName(commands);
    expect({ scripts: evals + evalsha, others }).toEqual({ scripts: 2, others: {} });
    // By their number of keys: the release (4) and the extension (1); no acquire (3).
    expect(commands.map((command) => command[2]).sort()).toEqual(['1', '4']);
    expect(messages).toHaveLength(1);
    const [[channel, message]] = messages as [[string, string]];
    expect(message).toMatch(/^grant:[0-9a-f]+\.\w+:\d+$/);
    expect(channel).toBe(grantChannels[0]);
    expect(await subscribersOf(db.redis, channel)).toBe(1);

    // The rest, one after the other: one grant per release, each on its grantee's channel.
    for (let served = 1; served < managers.length; served++) {
      const sent = await publishedDuring(db.redis, 'lock:*', async () => {
        await permits[order[served - 1]!]!.release();
        await until(() => order.length === served + 1, `grant ${served + 1}`);
      });
      // Arrival order: the next in line, whichever manager it is in.
      expect(sent).toEqual([[grantChannels[served], expect.any(String)]]);
    }
    await Promise.all(waits);
    expect([...order].sort()).toEqual([0, 1, 2, 3]);
    await permits[order[3]!]!.release();
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('a waiter that gives up just as permits are granted to it gives them on at once', async () => {
    const driver = semaphoreDriver(db.redis);
    const keys = ['lock:crossed'];
    const params = { weight: 2, limit: 2 };
    const holder = await db.manager().semaphore('crossed', { permits: 2 }).acquire({ weight: 2 });
    // Two waiters queue, as their attempts would: first A, then B.
    for (const name of ['a', 'b']) {
      const reply = await driver.acquire(keys, `token-${name}`, 30_000, '', params, `id-${name}`);
      expect(reply).toMatchObject({ acquired: false });
    }
    // The release grants A; A gives up before it heard of it (its leave crosses the grant).
    await holder.release();
    expect(await db.redis.zscore('lock:crossed', 'token-a:2')).not.toBeNull();
    await driver.abandon!(keys, 'token-a');
    // B holds the permits now, granted by A's leave, not after A's 120 s grant ttl.
    expect(await db.redis.zscore('lock:crossed', 'token-a:1')).toBeNull();
    expect(await db.redis.zscore('lock:crossed', 'token-b:2')).not.toBeNull();
    expect(await db.redis.zcard(queueKey('crossed'))).toBe(0);
    expect(await driver.release(keys, 'token-b')).toBe('ok');
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('a release resent after a reconnect, and an acquire resent after a grant, change nothing more', async () => {
    const driver = semaphoreDriver(db.redis);
    const keys = ['lock:resent'];
    const params = { weight: 1, limit: 1 };
    expect(await driver.acquire(keys, 'holder', 30_000, '', params, 'id-h')).toMatchObject({
      acquired: true,
    });
    expect(await driver.acquire(keys, 'waiter', 30_000, '', params, 'id-w')).toMatchObject({
      acquired: false,
    });
    expect(await driver.release(keys, 'holder')).toBe('ok');
    // The same release again (its first reply lost): recognised, and no second grant.
    const messages = await publishedDuring(db.redis, 'lock:*', async () => {
      expect(await driver.release(keys, 'holder')).toBe('ok');
    });
    expect(messages).toEqual([]);
    // The waiter's attempt, resent or late, finds its grant and takes it for its own ttl.
    expect(await driver.acquire(keys, 'waiter', 30_000, '', params, 'id-w')).toMatchObject({
      acquired: true,
    });
    expect(await db.redis.zcount('lock:resent', '(0', '+inf')).toBe(1);
    expect(await driver.release(keys, 'waiter')).toBe('ok');
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('a grant announced late, after it expired and the permits went to another, is not taken', async () => {
    const manager = db.manager();
    const waiter = db.manager(NO_POLLING);
    const holder = await manager.semaphore('late', { permits: 1 }).acquire({ ttl: 30_000 });
    const waiting = handled(waiter.semaphore('late', { permits: 1 }).acquire(LONG_WAIT));
    await until(async () => (await db.redis.zcard(queueKey('late'))) === 1, 'the waiter');
    const [place] = await db.redis.hvals(placesKey('late'));
    const waiterId = place!.split('|')[1]!;
    const channel = `${queueKey('late')}#${waiterId.split('.')[0]}`;
    await until(async () => (await subscribersOf(db.redis, channel)) === 1, 'the waiter to listen');
    let settled = false;
    void waiting.then(() => (settled = true));
    const looks = await scriptCalls();
    // A grant of a second ago, as a delayed announcement would bring it.
    const [seconds, micros] = (await db.redis.time()) as unknown as [string, string];
    const old = Number(seconds) * 1_000_000 + Number(micros) - 1_000_000;
    expect(await db.redis.publish(channel, `grant:${waiterId}:${old}`)).toBe(1);
    // It looked again (Redis: still held by the holder) and went on waiting.
    await until(async () => (await scriptCalls()) > looks, 'a look');
    await sleep(200);
    expect(settled).toBe(false);
    expect(holder.isHeld).toBe(true);
    expect(await db.redis.zcount('lock:late', '(0', '+inf')).toBe(1);
    await holder.release();
    const next = await waiting;
    expect(await db.redis.zscore('lock:late', `${next.token}:1`)).not.toBeNull();
    await next.release();
  });

  it('a waiter that misses the announcement of its grant finds it at its next look', async () => {
    // A subscriber on another server: this manager never hears an announcement.
    const elsewhere = await startRedis();
    const deaf = db.manager({ subscriber: elsewhere.client(), waiterTtl: 900 });
    const holder = await db.manager().semaphore('deaf', { permits: 1 }).acquire();
    const before = await scriptCalls();
    const waiting = handled(
      deaf.semaphore('deaf', { permits: 1 }).acquire({ waitTimeout: 20_000, ttl: 30_000 }),
    );
    // Its first attempt queues it; once subscribed (elsewhere) it looks once more, then waits.
    await until(async () => (await scriptCalls()) - before >= 2, 'the waiter to queue and look');
    expect(await db.redis.zcard(queueKey('deaf'))).toBe(1);
    const released = Date.now();
    await holder.release();
    const next = await waiting;
    // Within a third of its place ttl, and a margin for a busy machine.
    expect(Date.now() - released).toBeLessThan(300 + 2_000);
    // Taken for its full ttl by that look, not left at the short grant.
    const expiry = Number(await db.redis.zscore('lock:deaf', `${next.token}:1`));
    const [seconds] = (await db.redis.time()) as unknown as [string, string];
    expect(expiry - Number(seconds) * 1000).toBeGreaterThan(20_000);
    await next.release();
    await elsewhere.stop();
  });

  it('a semaphore nobody waits for takes and releases permits in one round trip, with no queue key', async () => {
    const pool = db.manager().semaphore('free', { permits: 2 });
    await (await pool.acquire()).release(); // warm: EVAL once per script and connection
    let permit: Permit | undefined;
    const taken = await monitorCommands(db.server, async () => (permit = await pool.acquire()));
    expect(countByName(taken)).toEqual({ evalsha: 1 });
    const released = await publishedDuring(db.redis, 'lock:*', async () => {
      expect(countByName(await monitorCommands(db.server, () => permit!.release()))).toEqual({
        evalsha: 1,
      });
    });
    // Nobody queued: nothing to announce.
    expect(released).toEqual([]);
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('a waiter that times out leaves the queue at once', async () => {
    const manager = db.manager(NO_POLLING);
    const holder = await manager.semaphore('leave', { permits: 1 }).acquire();
    const error = await manager
      .semaphore('leave', { permits: 1 })
      .acquire({ waitTimeout: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error).toMatchObject({ kind: 'permit', key: 'leave' });
    // Long before its place would lapse (120 s).
    await until(
      async () => (await db.redis.exists(queueKey('leave'), placesKey('leave'))) === 0,
      'the waiter to leave',
      { timeoutMs: 2_000 },
    );
    await holder.release();
  });
});

describe('semaphore queue across OS processes', () => {
  const children: ChildProcess[] = [];
  // Registered before the server's teardown, so that the workers are gone before it goes.
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  const db = useRedisServer();

  async function startWorkers(count: number, key: string, permits: number, waiterTtl: number) {
    const workers = Array.from({ length: count }, () => {
      const child = forkWorker('semaphore-queue-worker.cjs', [
        String(db.server.port),
        key,
        String(permits),
        String(waiterTtl),
      ]);
      children.push(child);
      return child;
    });
    await Promise.all(workers.map((child) => nextMessage(child, 'ready')));
    return workers;
  }

  /** Every message of `type` the workers send, by request id. */
  function collect(workers: ChildProcess[], type: string) {
    const seen = new Map<number, bigint>();
    for (const child of workers) {
      child.on('message', (message: { type: string; id: number; at: string }) => {
        if (message.type === type) seen.set(message.id, BigInt(message.at));
      });
    }
    return seen;
  }

  it('a waiter killed (SIGKILL) in the queue holds up the next one no longer than its grant ttl', async () => {
    const key = 'stall';
    const waiterTtl = 1_000;
    const [alive, victim] = await startWorkers(2, key, 2, waiterTtl);
    const granted = collect([alive!], 'granted');
    const released = collect([alive!], 'released');
    const holder = await db.manager().semaphore(key, { permits: 2 }).acquire({ weight: 2 });
    const queue = queueKey(key);
    alive!.send({ type: 'acquire', id: 0, weight: 2 });
    await until(async () => (await db.redis.zcard(queue)) === 1, 'the first waiter');
    victim!.send({ type: 'acquire', id: 1, weight: 2 });
    await until(async () => (await db.redis.zcard(queue)) === 2, 'the victim');
    alive!.send({ type: 'acquire', id: 2, weight: 1 });
    await until(async () => (await db.redis.zcard(queue)) === 3, 'the last waiter');
    victim!.kill('SIGKILL');

    await holder.release();
    await until(async () => granted.has(2), 'the waiter behind the dead one');
    // The dead waiter's turn came when waiter 0 released: it was granted both permits, for no
    // longer than its place lasted (at most waiterTtl after its last look). Waiter 2 got in once
    // that grant lapsed, plus the time for it to look again (at the grant's expiry) and a margin
    // for a busy machine.
    const stallMs = Number(granted.get(2)! - released.get(0)!) / 1e6;
    if (process.env.REPORT) console.log({ stallMs, waiterTtl });
    expect(stallMs).toBeLessThan(waiterTtl + waiterTtl / 3 + 1_000);
    await until(async () => released.has(2), 'the last release');
    expect(await keysLeft(db.redis, `lock:*${key}*`)).toEqual([]);
    alive!.send({ type: 'exit' });
  }, 60_000);

  it('4 processes × 3 workers taking 2 or 3 of 3 permits: never two holders at once, no lost update', async () => {
    // Weights that admit one holder at a time make the semaphore a lock: the workers' non-atomic
    // read-modify-write of a counter loses an update if two ever hold at once.
    const sections = await raceForLock({
      port: db.server.port,
      key: 'weighted',
      processes: 4,
      workers: 3,
      durationMs: 4_000,
      entry: require.resolve('../support/workers/semaphore-as-lock.cjs'),
    });
    const counter = Number(await db.redis.get('weighted:counter'));
    expect(sections.length).toBeGreaterThan(100);
    expect(new Set(sections.map((s) => s.pid)).size).toBe(4);
    expect(overlaps(sections)).toEqual([]);
    expect(counter).toBe(sections.length);
    expect(await keysLeft(db.redis, 'lock:*weighted*')).toEqual([]);
  }, 90_000);
});
