// Issue 13, defect 7: when a renewal finds one key of a multi-key lock gone or taken, the lock
// is lost, and the keys still held under its token must be given back at once instead of
// staying held for a full ttl by a holder that no longer exists.
import { LockLostError } from '../../../lib/core/index.js';
import { useRedisServer } from '../../support/suites.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';
import { until } from '../../support/until.js';

describe('a multi-key lock lost at renewal gives back the keys it still held', () => {
  const db = useRedisServer();
  const unhandled = recordUnhandledRejections();
  afterEach(() => expect(unhandled).toEqual([]));

  it.each(['expired', 'taken'] as const)(
    'one key %s: the other keys are released long before their ttl',
    async (reason) => {
      const manager = db.manager();
      const other = db.manager();
      const keys = [`${reason}:a`, `${reason}:b`, `${reason}:c`];
      const lock = await manager.acquire(keys, { ttl: 4_000, autoExtend: true });
      const lost = new Promise<unknown>((resolve) =>
        lock.signal.addEventListener('abort', () => resolve(lock.signal.reason)),
      );
      await other.forceRelease(keys[1]!);
      const rival = reason === 'taken' ? await other.acquire(keys[1]!) : undefined;

      // The next renewal (about a third of the ttl later) finds the key gone or taken.
      const error = await lost;
      expect(error).toBeInstanceOf(LockLostError);
      expect((error as LockLostError).reason).toBe(reason);
      await until(
        async () => (await db.redis.exists(`lock:${keys[0]}`, `lock:${keys[2]}`)) === 0,
        `the keys ${keys[0]} and ${keys[2]} to be released (their ttl has more than 2.5 s to run)`,
        { timeoutMs: 1_500, everyMs: 20 },
      );
      // The rival's key is its own: untouched.
      if (rival) {
        expect(await db.redis.hget(`lock:${keys[1]}`, 't')).toBe(rival.token);
        await rival.release();
      }
    },
  );
});
