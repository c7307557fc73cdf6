import { LockManager } from '../../lib/core/index.js';
import { runWorker } from '../support/processes.js';
import { useRedisServer } from '../support/suites.js';

describe('no leaks', () => {
  const db = useRedisServer();

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
    // Only the fencing counter stays: one key for all the locks of a server.
    expect(await db.redis.keys('*')).toEqual(['lock:#fence']);
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
    expect(await db.redis.dbsize()).toBe(1);
    expect(Number(await db.redis.get('lock:#fence'))).toBe(previousMax);
    await manager.close();
  }, 120_000);
});
