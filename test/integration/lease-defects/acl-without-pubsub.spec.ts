// Issue 13, defect 2: on Redis 7 an ACL user gets no pub/sub channels by default
// (acl-pubsub-default resetchannels), so PUBLISH fails with NOPERM. A lock's state change must
// never depend on its notification: release deletes every key and reports success, and waiters
// still get the lock (by polling).
import type { Redis } from 'ioredis';
import { LockManager } from '../../../lib/core/index.js';
import { useRedisServer } from '../../support/suites.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';

describe('locks work for an ACL user without pub/sub permission', () => {
  const db = useRedisServer();
  const unhandled = recordUnhandledRejections();
  let app: Redis;
  let manager: LockManager;

  beforeAll(async () => {
    // Everything but channels: what `ACL SETUSER app on >pw ~* +@all` gives on Redis 7.
    await db.server.command('ACL', 'SETUSER', 'app', 'on', '>pw', '~*', '+@all');
    app = db.server.client({ username: 'app', password: 'pw' });
    manager = new LockManager(app);
  });
  afterAll(async () => {
    await manager.close();
    app.disconnect();
  });
  afterEach(() => expect(unhandled).toEqual([]));

  it('the user really cannot publish (the premise of these tests)', async () => {
    await expect(app.publish('lock:any', 'x')).rejects.toThrow(/NOPERM/);
  });

  it('release() succeeds and deletes the key', async () => {
    const lock = await manager.acquire('acl:single');
    await expect(lock.release()).resolves.toBeUndefined();
    expect(await db.redis.exists('lock:acl:single')).toBe(0);
  });

  it('withLock() returns the result of the work', async () => {
    await expect(manager.withLock('acl:work', () => 42)).resolves.toBe(42);
    expect(await db.redis.exists('lock:acl:work')).toBe(0);
  });

  it('a multi-key release deletes every key, not only the first', async () => {
    const lock = await manager.acquire(['acl:a', 'acl:b', 'acl:c']);
    await lock.release().catch(() => undefined);
    expect(await db.redis.exists('lock:acl:a', 'lock:acl:b', 'lock:acl:c')).toBe(0);
  });

  it('a waiter gets the lock once the holder releases it', async () => {
    const holder = await manager.acquire('acl:wait');
    const waiter = new LockManager(app);
    try {
      const waiting = waiter.acquire('acl:wait', { waitTimeout: 5_000 });
      await holder.release().catch(() => undefined);
      const lock = await waiting;
      expect(await db.redis.hget('lock:acl:wait', 't')).toBe(lock.token);
      await lock.release().catch(() => undefined);
    } finally {
      await waiter.close();
    }
  });
});
