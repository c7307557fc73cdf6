import { LockManager } from '../../lib/core/index.js';
import { keysLeft } from '../support/key-names.js';
import { runWorker } from '../support/processes.js';
import { useRedisServer } from '../support/suites.js';

describe('no leaks', () => {
  const db = useRedisServer();

  /** Release marks are the only other keys left, and each lapses within 3 s. */
  async function expectMarksExpiring(): Promise<void> {
    const marks = await db.redis.keys('lock:#released:*');
    const ttls = await Promise.all(marks.slice(0, 500).map((key) => db.redis.pttl(key)));
    // -2: expired between the listing and the look.
    expect(ttls.filter((ttl) => !(ttl === -2 || (ttl >= 0 && ttl <= 3_000)))).toEqual([]);
  }

  it('after thousands of acquire/wait/cancel/timeout/release cycles the process exits by itself, leaving no key', async () => {
    const result = await runWorker('cycle-worker.cjs', [String(db.server.port), '1500'], 120_000);
    expect(result.stderr).toBe('');
    // The worker never calls process.exit(): it ends only once nothing keeps its loop alive.
    expect(result.code).toBe(0);
    const { counts } = JSON.parse(result.stdout) as { counts: Record<string, number> };
    expect(counts).toEqual({
      acquired: 1500,
      timedOut: 1500,
      aborted: 1500,
      empty: 1500,
      woken: 1500,
    });
    // Only bookkeeping stays: the fencing counters (one per slot used, never more than the
    // 16,384 slots), and the marks of the last few seconds' releases, which expire by themselves.
    expect(await keysLeft(db.redis)).toEqual([]);
    await expectMarksExpiring();
  }, 150_000);

  it('100,000 distinct lock names leave the keyspace empty but for the fencing counter', async () => {
    await db.redis.flushall();
    const manager = new LockManager(db.redis);
    const total = 100_000;
    const concurrency = 200;
    let next = 0;
    let previousMax = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const lock = await manager.acquire(`order:${next++}`);
          previousMax = Math.max(previousMax, lock.fencingToken);
          await lock.release();
        }
      }),
    );
    expect(await keysLeft(db.redis)).toEqual([]);
    // One fencing counter per slot, however many names: the keyspace stays bounded.
    const counters = await db.redis.keys('lock:#fence*');
    expect(counters.length).toBeLessThanOrEqual(16_384);
    const issued = await Promise.all(counters.map((key) => db.redis.get(key)));
    expect(Math.max(...issued.map(Number))).toBe(previousMax);
    await expectMarksExpiring();
    await manager.close();
  }, 120_000);
});
