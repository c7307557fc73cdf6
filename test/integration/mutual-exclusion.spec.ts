import { fencingRegressions, overlaps, raceForLock } from '../support/exclusion.js';
import { useRedisServer } from '../support/suites.js';

describe('mutual exclusion across OS processes', () => {
  const db = useRedisServer();

  it('4 processes × 8 workers for 5 s: no lost update, no overlap, fencing tokens in grant order', async () => {
    const sections = await raceForLock({
      port: db.server.port,
      key: 'exclusive',
      processes: 4,
      workers: 8,
      durationMs: 5_000,
    });
    const counter = Number(await db.redis.get('exclusive:counter'));
    // Enough contention to mean something: thousands of sections, from every process.
    expect(sections.length).toBeGreaterThan(1_000);
    expect(new Set(sections.map((s) => s.pid)).size).toBe(4);
    // Overlaps first: a lost update alone does not say which holders met.
    expect(overlaps(sections)).toEqual([]);
    expect(counter).toBe(sections.length);
    expect(fencingRegressions(sections)).toBe(0);
  }, 90_000);

  it('detects a lock that excludes nothing (the control experiment)', async () => {
    const sections = await raceForLock({
      port: db.server.port,
      key: 'not-exclusive',
      processes: 2,
      workers: 4,
      durationMs: 1_000,
      entry: require.resolve('../support/workers/no-lock.cjs'),
    });
    const counter = Number(await db.redis.get('not-exclusive:counter'));
    expect(overlaps(sections).length).toBeGreaterThan(0);
    expect(counter).toBeLessThan(sections.length);
    expect(fencingRegressions(sections)).toBeGreaterThan(0);
  }, 60_000);
});
