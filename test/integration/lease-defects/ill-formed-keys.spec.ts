// Issue 13, defect 10: a key with a lone UTF-16 surrogate cannot be encoded faithfully (it
// becomes U+FFFD on the wire), so two distinct keys would share one lock and the release
// announcement would never match the waiter's channel. Such keys are refused with a typed error
// before any Redis call.
import { InvalidLockOptionsError, type LockManager } from '../../../lib/core/index.js';
import { callsBetween, commandCalls } from '../../support/redis-server.js';
import { useRedisServer } from '../../support/suites.js';

const ILL_FORMED = ['order:\uD800', 'order:\uDC00x', '\uDBFF'];

describe('keys that are not well-formed UTF-16 are refused before any Redis call', () => {
  const db = useRedisServer();
  let manager: LockManager;
  beforeAll(() => {
    manager = db.manager();
  });

  const calls: Array<[string, (key: string) => Promise<unknown> | unknown]> = [
    ['acquire', (key) => manager.acquire(key)],
    ['tryAcquire', (key) => manager.tryAcquire(key)],
    ['withLock', (key) => manager.withLock(key, () => undefined)],
    ['a multi-key acquire', (key) => manager.acquire(['fine', key])],
    ['inspect', (key) => manager.inspect(key)],
    ['forceRelease', (key) => manager.forceRelease(key)],
    ['semaphore', (key) => manager.semaphore(key, { permits: 2 }).tryAcquire()],
    ['readWriteLock', (key) => manager.readWriteLock(key).tryRead()],
  ];

  it.each(calls)('%s', async (name, call) => {
    for (const ending of ILL_FORMED) {
      // A key of its own per call: a key wrongly accepted must not block the next call.
      const key = `${name}:${ending}`;
      const before = await commandCalls(db.server);
      const error = await Promise.resolve()
        .then(() => call(key))
        .then(
          async (value) => {
            if (value && typeof value === 'object' && 'release' in value) {
              await (value as { release(): Promise<void> }).release();
            }
          },
          (e: unknown) => e,
        );
      expect({ key, error }).toEqual({ key, error: expect.any(InvalidLockOptionsError) });
      expect((error as InvalidLockOptionsError).message).toMatch(/surrogate|well-formed|UTF-16/i);
      expect(callsBetween(before, await commandCalls(db.server))).toEqual({});
    }
  });

  it('keys with well-formed astral characters (surrogate pairs) still work', async () => {
    const lock = await manager.acquire('emoji:\u{1F600}');
    expect(await db.redis.hget('lock:emoji:\u{1F600}', 't')).toBe(lock.token);
    await lock.release();
  });
});
