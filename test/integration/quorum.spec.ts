import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  InvalidLockOptionsError,
  type Lock,
  LockBackendError,
  LockLostError,
  LockManager,
  LockQuorumError,
  LockTimeoutError,
} from '../../lib/core/index.js';
import { ACQUIRE_SCRIPT } from '../../lib/core/redis/plain/acquire.script.js';
import { fenceKey } from '../support/key-names.js';
import { fencingRegressions, overlaps, raceForLock } from '../support/exclusion.js';
import {
  monitorCommands,
  startRedis,
  stopAllRedis,
  type RedisServer,
} from '../support/redis-server.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';
import { until } from '../support/until.js';

// Each check asks a server that restarts or fails over: patiently, and not too often.
const PATIENTLY = { timeoutMs: 15_000, everyMs: 20 };

const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE_SCRIPT).digest('hex');

function pairs(n: number): Array<[number, number]> {
  const all: Array<[number, number]> = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) all.push([a, b]);
  return all;
}

describe('Redlock quorum over 5 independent masters', () => {
  const unhandled = recordUnhandledRejections();
  let masters: RedisServer[];
  let clients: Redis[];
  let manager: LockManager;

  /** What every master holds for a lock key: [token, fencing token] or null. */
  const holdings = (key: string): Promise<Array<[string | null, string | null] | null>> =>
    Promise.all(
      masters.map(async (m) => {
        const [t, f] = (await m.command('HMGET', key, 't', 'f')) as [string | null, string | null];
        return t === null ? null : [t, f];
      }),
    );
  const everywhereFree = async (key: string): Promise<boolean> =>
    (await holdings(key)).every((h) => h === null);

  beforeAll(async () => {
    masters = await Promise.all(Array.from({ length: 5 }, () => startRedis()));
    clients = masters.map((m) => m.client());
  });
  beforeEach(async () => {
    await Promise.all(masters.map((m) => m.command('FLUSHALL')));
    manager = new LockManager(clients, { nodeTimeout: 150 });
  });
  afterEach(async () => {
    for (const m of masters) m.resume();
    await manager.close();
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    await stopAllRedis();
  });

  it('takes the lock on every master with one token, and one fencing token raised on all of them', async () => {
    const lock = await manager.acquire('order:1');
    // Masters that answered after the majority did get the lock's token a moment later.
    await until(
      async () =>
        (await holdings('lock:order:1')).every(
          (h) => h?.[0] === lock.token && h[1] === String(lock.fencingToken),
        ),
      'every master to store the lock with its token',
      PATIENTLY,
    );
    // Every counter is at the lock's token: the next majority, whichever it is, issues more.
    for (const m of masters) {
      expect(Number(await m.command('GET', fenceKey('order:1')))).toBeGreaterThanOrEqual(
        lock.fencingToken,
      );
    }
    expect(await manager.inspect('order:1')).toMatchObject({
      held: true,
      fencingToken: lock.fencingToken,
    });
    await lock.extend(5_000);
    await lock.release();
    expect(await everywhereFree('lock:order:1')).toBe(true);
  });

  it('fencing tokens increase across holders whichever majority grants them', async () => {
    let previous = 0;
    for (const [a, b] of pairs(5)) {
      masters[a]!.pause();
      masters[b]!.pause();
      const lock = await manager.acquire('fenced');
      expect(lock.fencingToken).toBeGreaterThan(previous);
      previous = lock.fencingToken;
      await lock.release();
      masters[a]!.resume();
      masters[b]!.resume();
    }
  });

  it('any 2 masters down (frozen): acquire, extend and release still work; nothing is left behind', async () => {
    for (const [a, b] of pairs(5)) {
      masters[a]!.pause();
      masters[b]!.pause();
      const lock = await manager.acquire(`pair:${a}${b}`, { waitTimeout: 0 });
      await lock.extend();
      expect(await manager.tryAcquire(`pair:${a}${b}`)).toBeNull();
      await lock.release();
      masters[a]!.resume();
      masters[b]!.resume();
      // The frozen masters run the queued acquire, then the release queued behind it.
      await until(
        () => everywhereFree(`lock:pair:${a}${b}`),
        `pair ${a}${b} to be free`,
        PATIENTLY,
      );
    }
  });

  it('2 masters killed and restarted empty: locking goes on, and resumes on them', async () => {
    await masters[1]!.kill();
    await masters[3]!.kill();
    const lock = await manager.acquire('killed', { waitTimeout: 0 });
    await lock.release();
    await masters[1]!.restart();
    await masters[3]!.restart();
    const again = await manager.acquire('killed');
    expect(again.fencingToken).toBeGreaterThan(lock.fencingToken);
    await until(
      async () =>
        (await holdings('lock:killed')).filter((h) => h?.[0] === again.token).length === 5,
      'all five masters to hold the lock again',
      PATIENTLY,
    );
    await again.release();
  });

  it('3 masters down: fails cleanly, saying how many answered, and leaves nothing held', async () => {
    masters[0]!.pause();
    masters[2]!.pause();
    masters[4]!.pause();
    const tried = await manager.tryAcquire('minority').catch((e: unknown) => e);
    expect(tried).toBeInstanceOf(LockQuorumError);
    expect(tried).toBeInstanceOf(LockBackendError);
    expect((tried as LockQuorumError).message).toMatch(/2 of 5 masters answered; 3 are needed/);
    expect(tried).toMatchObject({ answered: 2, needed: 3, masters: 5, operation: 'acquire' });

    const waited = await manager.acquire('minority', { waitTimeout: 400 }).catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(LockTimeoutError);
    expect((waited as LockTimeoutError).message).toMatch(/2 of 5 masters answered; 3 are needed/);
    expect((waited as LockTimeoutError).cause).toBeInstanceOf(LockQuorumError);

    for (const m of masters) m.resume();
    await until(
      () => everywhereFree('lock:minority'),
      'the partial grants to be released',
      PATIENTLY,
    );
  });

  it('a held lock whose majority goes down: extend and release report the quorum failure', async () => {
    const lock = await manager.acquire('stranded', { ttl: 10_000 });
    masters[1]!.pause();
    masters[2]!.pause();
    masters[3]!.pause();
    const extended = await lock.extend().catch((e: unknown) => e);
    expect(extended).toBeInstanceOf(LockQuorumError);
    expect((extended as LockQuorumError).operation).toBe('extend');
    const released = await lock.release().catch((e: unknown) => e);
    expect(released).toBeInstanceOf(LockQuorumError);
    expect((released as Error).message).toMatch(/2 of 5 masters answered/);
  });

  it('a key pre-held on 2 masters by another owner: the majority wins, the foreign keys are untouched', async () => {
    for (const m of masters.slice(0, 2)) {
      await m.command('HSET', 'lock:contested', 't', 'someone-else', 'f', '1', 'o', 'other');
      await m.command('PEXPIRE', 'lock:contested', 60_000);
    }
    const lock = await manager.acquire('contested', { waitTimeout: 0 });
    expect((await holdings('lock:contested')).map((h) => h?.[0])).toEqual([
      'someone-else',
      'someone-else',
      lock.token,
      lock.token,
      lock.token,
    ]);
    await lock.extend();
    await lock.release();
    expect((await holdings('lock:contested')).map((h) => h?.[0])).toEqual([
      'someone-else',
      'someone-else',
      undefined,
      undefined,
      undefined,
    ]);

    // Held on 3 by another owner: "held", not an error, and our 2 grants are given back.
    await masters[2]!.command('HSET', 'lock:contested', 't', 'someone-else', 'f', '1');
    await masters[2]!.command('PEXPIRE', 'lock:contested', 60_000);
    expect(await manager.tryAcquire('contested')).toBeNull();
    await until(
      async () =>
        (await holdings('lock:contested')).every((h) => h === null || h[0] === 'someone-else'),
      'our minority grants to be released',
      PATIENTLY,
    );
  });

  it('a master killed mid-hold and restarted empty gets the lock back at the next renewal', async () => {
    const lock = await manager.acquire('healed', { ttl: 600, autoExtend: true });
    await masters[2]!.kill();
    await masters[2]!.restart();
    await until(
      async () => (await masters[2]!.command('HGET', 'lock:healed', 't')) === lock.token,
      'the renewal to heal the restarted master',
      PATIENTLY,
    );
    expect(await masters[2]!.command('HGET', 'lock:healed', 'f')).toBe(String(lock.fencingToken));
    // Its fencing counter, lost with the restart, is back at the lock's token.
    expect(Number(await masters[2]!.command('GET', fenceKey('healed')))).toBeGreaterThanOrEqual(
      lock.fencingToken,
    );
    expect(await manager.tryAcquire('healed')).toBeNull();
    expect(lock.signal.aborted).toBe(false);
    await lock.release();
  });

  it("a master frozen past the lock's ttl while an extension waited for it gets the lock back as soon as it answers", async () => {
    // No renewal of its own: only the late answer can heal the master.
    const lock = await manager.acquire('frozen', { ttl: 800 });
    masters[4]!.pause();
    try {
      // Decided by the other four within nodeTimeout; the frozen master's answer is late.
      await lock.extend(10_000);
      // Its copy of the lock (800 ms) lapses while it is frozen.
      await sleep(1_000);
    } finally {
      masters[4]!.resume();
    }
    // Resumed, it runs the waiting extension on a key that expired, answers 'expired', and is
    // given the lock back at once (a renewal, without autoExtend, would never come).
    await until(
      async () => (await masters[4]!.command('HGET', 'lock:frozen', 't')) === lock.token,
      'the late answer to heal the frozen master',
      { timeoutMs: 3_000, everyMs: 20 },
    );
    expect(await masters[4]!.command('HGET', 'lock:frozen', 'f')).toBe(String(lock.fencingToken));
    expect(Number(await masters[4]!.command('PTTL', 'lock:frozen'))).toBeGreaterThan(5_000);
    await lock.release();
    expect(await everywhereFree('lock:frozen')).toBe(true);
  });

  it('3 masters restarted empty at once (no delayed restart): a second holder gets in, but with a larger fencing token, and the first learns of the loss at its next renewal', async () => {
    const lost: Array<{ at: number; error: LockLostError }> = [];
    manager.on('lost', ({ error }) => lost.push({ at: Date.now(), error }));
    // Renewed every 2 s: the restarts and the second grant happen before the first renewal.
    const first = await manager.acquire('unsafe', { ttl: 6_000, autoExtend: true });
    for (const i of [0, 1, 2]) await masters[i]!.kill();
    for (const i of [0, 1, 2]) await masters[i]!.restart();

    const other = new LockManager(
      masters.map((m) => m.client()),
      { nodeTimeout: 150 },
    );
    const second = await other.acquire('unsafe', { waitTimeout: 5_000 });
    const grantedAt = Date.now();
    // Redis alone cannot prevent this (redis.io: restart a master only after the longest ttl);
    // the fencing token tells the two holders apart.
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    await until(async () => lost.length > 0, 'the first holder to learn of the loss', PATIENTLY);
    expect(lost[0]!.error.reason).toBe('taken');
    expect(first.signal.reason).toBe(lost[0]!.error);
    // At the first renewal: at most one renewal period (ttl / 3) after the second grant.
    const noticedAfter = lost[0]!.at - grantedAt;
    expect(noticedAfter).toBeLessThan(6_000);
    process.stdout.write(
      `quorum: first holder saw the loss ${noticedAfter} ms after the second grant\n`,
    );
    await second.release();
    await other.close();
  });

  it('a release wakes a waiter through any master, once per release however many masters announce it', async () => {
    const slow = new LockManager(clients, {
      nodeTimeout: 150,
      // Polling this slow cannot explain a wakeup within the test's time (jest's 30 s).
      retry: { minDelay: 60_000, maxDelay: 60_000 },
    });
    const holder = await manager.acquire('wake', { ttl: 30_000 });
    const waiters = [
      slow.acquire('wake', { waitTimeout: 60_000 }),
      slow.acquire('wake', { waitTimeout: 60_000 }),
    ];
    await sleep(300);
    // Two of the masters cannot announce anything.
    masters[0]!.pause();
    masters[1]!.pause();
    let winner: Lock | undefined;
    const commands = await monitorCommands(masters[4]!, async () => {
      await holder.release();
      winner = await Promise.race(waiters);
      await sleep(300);
    });
    // One acquire attempt followed the release: the other waiter stayed asleep although it heard
    // the release from three masters.
    const attempts = commands.filter(
      (c) =>
        (c[0] === 'evalsha' && c[1] === ACQUIRE_SHA) ||
        (c[0] === 'eval' && c[1] === ACQUIRE_SCRIPT),
    );
    expect(attempts).toHaveLength(1);
    for (const m of masters) m.resume();
    await winner!.release();
    // ...and the next release wakes the other one.
    const [a, b] = await Promise.all(waiters);
    await (a === winner ? b : a)!.release();
    await slow.close();
  });

  it('mutual exclusion across processes while masters are killed and restarted', async () => {
    const store = await startRedis();
    const race = raceForLock({
      port: masters.map((m) => m.port),
      storePort: store.port,
      key: 'exclusive',
      processes: 3,
      workers: 4,
      durationMs: 6_000,
    });
    await sleep(1_000);
    await masters[4]!.kill();
    await sleep(700);
    await masters[4]!.restart(); // empty, while locks are being taken and held
    await sleep(700);
    await masters[0]!.kill();
    masters[2]!.pause();
    await sleep(1_500);
    await masters[0]!.restart();
    masters[2]!.resume();
    const sections = await race;
    const counter = Number(await store.command('GET', 'exclusive:counter'));
    // Enough critical sections for the checks below to mean something, even on a busy machine
    // (a count per process, not a rate: 82 in the window on a machine running two test files).
    expect(sections.length).toBeGreaterThanOrEqual(3 * 10);
    expect(new Set(sections.map((s) => s.pid)).size).toBe(3);
    // Overlaps first: a lost update alone does not say which holders met.
    expect(overlaps(sections)).toEqual([]);
    expect(counter).toBe(sections.length);
    expect(fencingRegressions(sections)).toBe(0);
    await store.stop();
  }, 90_000);

  it('rejects quorum configurations that cannot work, before any Redis call', () => {
    const lazy = (options = {}): Redis =>
      new Redis({ lazyConnect: true, port: 1, ...options }).on('error', () => undefined);
    const [a, b, c] = [lazy(), lazy(), lazy()];
    expect(() => new LockManager([a, b])).toThrow(/3 to 15 independent masters.*add a third/);
    expect(() => new LockManager([])).toThrow(InvalidLockOptionsError);
    expect(() => new LockManager([a, b, a])).toThrow(/same client appears twice/);
    expect(() => new LockManager([a, b, lazy({ keyPrefix: 'x:' })])).toThrow(/keyPrefix/);
    expect(() => new LockManager([a, b, c], { subscriber: a })).toThrow(
      /subscriber is for a single/,
    );
    expect(() => new LockManager([a, b, {} as Redis])).toThrow(/client\[2\]|ioredis/);
    expect(() => new LockManager([a, b, c], { nodeTimeout: 0 })).toThrow(/nodeTimeout/);
    for (const client of [a, b, c]) client.disconnect();
  });
});
