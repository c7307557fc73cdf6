import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LockExtendedEvent,
  type LockLostEvent,
  LockLostError,
  LockManager,
} from '../../lib/core/index.js';
import { keysLeft } from '../support/key-names.js';
import { countByName, monitorCommands } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';

describe('renewal', () => {
  const db = useRedisServer();
  let manager: LockManager;
  let extended: LockExtendedEvent[];
  let lost: LockLostEvent[];

  beforeEach(() => {
    manager = db.manager();
    extended = [];
    lost = [];
    manager.on('extended', (event) => extended.push(event));
    manager.on('lost', (event) => lost.push(event));
  });

  it('keeps an autoExtend lock alive well past its ttl', async () => {
    // 600 ms: a renewal is due every 200 ms, and only a stall of this process longer than
    // 400 ms loses the lock (a loaded full run lost it once with a 300 ms ttl).
    const lock = await manager.acquire('long-job', { ttl: 600, autoExtend: true });
    await sleep(2_000);
    // The reason first: a loss says why.
    expect(lost).toEqual([]);
    expect(lock.isHeld).toBe(true);
    expect(lock.signal.aborted).toBe(false);
    expect(await db.redis.hget('lock:long-job', 't')).toBe(lock.token);
    // About every ttl/3: at least 3 renewals in more than 3 ttls.
    expect(extended.length).toBeGreaterThanOrEqual(3);
    expect(extended.every((e) => e.automatic && e.key === 'long-job')).toBe(true);
    await lock.release();
  });

  it('withLock renews while the work runs longer than the ttl', async () => {
    const result = await manager.withLock(
      'slow-work',
      async (lock) => {
        await sleep(900);
        return lock.signal.aborted ? 'lost' : 'done';
      },
      { ttl: 250 },
    );
    expect(result).toBe('done');
    expect(lost).toEqual([]);
    expect(await db.redis.exists('lock:slow-work')).toBe(0);
  });

  it('stops renewing the moment release is called: no command after the release', async () => {
    const lock = await manager.acquire('stop', { ttl: 150, autoExtend: true });
    await sleep(200);
    const commands = await monitorCommands(db.server, async () => {
      await lock.release();
      await sleep(500);
    });
    expect(countByName(commands)).toEqual({ evalsha: 1 });
  });

  it('renews thousands of locks in batches, not one command per lock', async () => {
    const locks = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        manager.acquire(`batch:${i}`, { ttl: 1_500, autoExtend: true }),
      ),
    );
    const commands = await monitorCommands(db.server, () => sleep(1_500));
    // Each lock renews at least twice in 1.5 s (every ~500 ms); one command per lock per
    // renewal would be thousands. (A ttl of 900 ms lost locks once on a loaded machine, with
    // MONITOR slowing Redis: a stall of 600 ms is enough at that ttl.)
    const renewals = extended.length;
    expect(renewals).toBeGreaterThanOrEqual(1_000);
    expect(commands.length).toBeLessThan(renewals / 50);
    expect(commands.every(([name]) => /^evalsha$/i.test(name!))).toBe(true);
    expect(locks.every((lock) => lock.isHeld)).toBe(true);
    expect(manager.heldCount).toBe(1_000);
    await Promise.all(locks.map((lock) => lock.release()));
    expect(manager.heldCount).toBe(0);
    expect(await keysLeft(db.redis)).toEqual([]); // only the fencing counters and release marks
  });

  it('aborts the signal with LockLostError and emits lost when a renewal finds the lock gone', async () => {
    const lock = await manager.acquire('stolen', { ttl: 300, autoExtend: true });
    const aborted = new Promise<unknown>((resolve) =>
      lock.signal.addEventListener('abort', () => resolve(lock.signal.reason)),
    );
    await manager.forceRelease('stolen');
    const reason = await aborted;
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).reason).toBe('expired');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.key).toBe('stolen');
    expect(lost[0]!.error).toBe(reason);
    await expect(lock.release()).rejects.toBe(reason);
  });

  it('reports a lock without autoExtend as lost when its validity ends', async () => {
    const lock = await manager.acquire('expiring', { ttl: 100 });
    await sleep(150);
    expect(lock.signal.aborted).toBe(true);
    expect((lock.signal.reason as LockLostError).reason).toBe('expired');
    expect(lost.map((e) => e.key)).toEqual(['expiring']);
  });

  it('validUntil never claims more than Redis grants', async () => {
    // A first call on a new connection waits for it: the send-to-run gap would then hide the
    // margin this test looks for.
    await (await manager.acquire('validity:warm')).release();
    const lock = await manager.acquire('validity', { ttl: 10_000 });
    const pttl = await db.redis.pttl('lock:validity');
    // Redis's ttl runs from the script's execution, after the request left: the lease counts
    // from the sending, minus the drift margin (1% + 2 ms = 102 ms). Compared with what Redis
    // says is left, not with a clock read before the call, so a slow turn of the event loop
    // between that read and the sending cannot fail the check (2 ms for the rounding of both).
    expect(lock.validUntil).toBeLessThanOrEqual(Date.now() + pttl - 102 + 2);
    await lock.extend(20_000);
    expect(lock.validUntil).toBeGreaterThan(Date.now() + 19_000);
    await lock.release();
  });
});
