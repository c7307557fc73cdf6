// Issue 13, defect 5: an event listener that throws must not reach the engine's bookkeeping:
// no unhandled rejection or uncaught exception, the other leases of a renewal batch keep being
// renewed, and the operation that emitted the event gives its normal result.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock } from '../../../lib/core/index.js';
import { useRedisServer } from '../../support/suites.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';

const listenerBug = (): never => {
  throw new Error('a bug in an event listener');
};

describe('a throwing event listener is isolated from the engine', () => {
  const db = useRedisServer();
  const unhandled = recordUnhandledRejections();
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);
  beforeAll(() => process.on('uncaughtException', onUncaught));
  afterAll(() => process.off('uncaughtException', onUncaught));
  afterEach(() => {
    expect(unhandled).toEqual([]);
    expect(uncaught).toEqual([]);
  });

  const expectHeld = async (locks: readonly Lock[]): Promise<void> => {
    for (const lock of locks) {
      expect({ key: lock.key, isHeld: lock.isHeld, aborted: lock.signal.aborted }).toEqual({
        key: lock.key,
        isHeld: true,
        aborted: false,
      });
      expect(await db.redis.hget(`lock:${lock.key}`, 't')).toBe(lock.token);
    }
  };

  it("'extended': every lease of the renewal batch keeps being renewed", async () => {
    const manager = db.manager();
    manager.on('extended', listenerBug);
    const locks = await Promise.all(
      ['batch:a', 'batch:b', 'batch:c'].map((key) =>
        manager.acquire(key, { ttl: 300, autoExtend: true }),
      ),
    );
    // Many renewal periods: without renewals every lease is gone after one ttl.
    await sleep(1_000);
    await expectHeld(locks);
    await Promise.all(locks.map((lock) => lock.release()));
  });

  it("'lost': the loss of one lease does not stop the renewal of the others", async () => {
    const manager = db.manager();
    manager.on('lost', listenerBug);
    const [doomed, ...survivors] = await Promise.all(
      ['loss:a', 'loss:b', 'loss:c'].map((key) =>
        manager.acquire(key, { ttl: 300, autoExtend: true }),
      ),
    );
    await db.redis.del('lock:loss:a');
    await sleep(1_000);
    expect(doomed!.signal.aborted).toBe(true);
    await expectHeld(survivors);
    await Promise.all(survivors.map((lock) => lock.release()));
  });

  it("'acquired' and 'released': acquire() returns the lock and release() succeeds", async () => {
    const manager = db.manager();
    manager.on('acquired', listenerBug);
    manager.on('released', listenerBug);
    const lock = await manager.acquire('events:plain', { ttl: 5_000 });
    expect(await db.redis.hget('lock:events:plain', 't')).toBe(lock.token);
    await expect(lock.release()).resolves.toBeUndefined();
    expect(await db.redis.exists('lock:events:plain')).toBe(0);
  });
});
