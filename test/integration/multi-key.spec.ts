import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidLockOptionsError, LockLostError, LockManager } from '../../lib/core/index.js';
import { useRedisServer } from '../support/suites.js';

describe('multi-key locks on a single Redis', () => {
  const db = useRedisServer();
  let manager: LockManager;

  beforeEach(async () => {
    await db.redis.flushall();
    manager = db.manager();
  });

  it('takes every key with one token and one fencing token, in canonical order', async () => {
    const lock = await manager.acquire(['account:2', 'account:1', 'account:2']);
    expect(lock.keys).toEqual(['account:1', 'account:2']);
    expect(lock.key).toBe('account:1 + account:2');
    for (const key of lock.keys) {
      expect(await db.redis.hmget(`lock:${key}`, 't', 'f')).toEqual([
        lock.token,
        String(lock.fencingToken),
      ]);
    }
    await lock.release();
    expect(await db.redis.exists('lock:account:1', 'lock:account:2')).toBe(0);
  });

  it('takes all keys or none', async () => {
    const other = await manager.acquire('account:2');
    expect(await manager.tryAcquire(['account:1', 'account:2'])).toBeNull();
    expect(await db.redis.exists('lock:account:1')).toBe(0);
    await other.release();
  });

  it('waits for the key that blocks it and gets the whole set once it is released', async () => {
    const other = await manager.acquire('b');
    const waiting = manager.acquire(['a', 'b', 'c'], { waitTimeout: 5_000 });
    await sleep(50);
    expect(await db.redis.exists('lock:a', 'lock:c')).toBe(0);
    await other.release();
    const lock = await waiting;
    expect(lock.keys).toEqual(['a', 'b', 'c']);
    await lock.release();
  });

  it('renews every key, and reports the loss of any one of them', async () => {
    const lock = await manager.acquire(['r:1', 'r:2'], { ttl: 300, autoExtend: true });
    await sleep(700);
    expect(await db.redis.pttl('lock:r:1')).toBeGreaterThan(0);
    expect(await db.redis.pttl('lock:r:2')).toBeGreaterThan(0);
    expect(lock.signal.aborted).toBe(false);
    await manager.forceRelease('r:2');
    await sleep(250);
    expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    await expect(lock.release()).rejects.toBeInstanceOf(LockLostError);
  });

  it('releases the keys still held when one was lost, and reports the loss', async () => {
    const lock = await manager.acquire(['x:1', 'x:2']);
    await db.redis.del('lock:x:1');
    const error = await lock.release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect(await db.redis.exists('lock:x:2')).toBe(0);
  });

  it('rejects an empty list, too many keys, or a bad key among them, before any Redis call', async () => {
    await expect(manager.acquire([])).rejects.toThrow(/needs 1 to 64 keys.*lock nothing/);
    await expect(manager.acquire(Array.from({ length: 65 }, (_, i) => `k:${i}`))).rejects.toThrow(
      InvalidLockOptionsError,
    );
    await expect(manager.acquire(['ok', undefined as unknown as string])).rejects.toThrow(
      /non-empty string/,
    );
    expect(await db.redis.dbsize()).toBe(0);
  });

  it('2 × 1000 transfers in opposite directions never deadlock and conserve the balances', async () => {
    await db.redis.mset('balance:alice', 1_000_000, 'balance:bob', 1_000_000);
    const other = new LockManager(db.server.client());
    const transfer = async (lockManager: LockManager, from: string, to: string): Promise<void> => {
      await lockManager.withLock(
        [`account:${from}`, `account:${to}`],
        async () => {
          // Deliberately non-atomic: only the lock keeps the balances right.
          const [a, b] = await db.redis.mget(`balance:${from}`, `balance:${to}`);
          await db.redis.mset(`balance:${from}`, Number(a) - 1, `balance:${to}`, Number(b) + 1);
        },
        { waitTimeout: 30_000 },
      );
    };
    const run = async (lockManager: LockManager, from: string, to: string): Promise<void> => {
      for (let i = 0; i < 1000; i++) await transfer(lockManager, from, to);
    };
    await Promise.all([
      run(manager, 'alice', 'bob'),
      run(other, 'bob', 'alice'),
      run(manager, 'bob', 'alice'),
      run(other, 'alice', 'bob'),
    ]);
    expect(await db.redis.mget('balance:alice', 'balance:bob')).toEqual(['1000000', '1000000']);
    await other.close();
  }, 60_000);

  it('prefixes every key on a client with its own keyPrefix', async () => {
    const prefixed = db.server.client({ keyPrefix: 'tenant-9:' });
    const tenant = new LockManager(prefixed);
    const lock = await tenant.acquire(['p:1', 'p:2']);
    expect(await db.redis.exists('tenant-9:lock:p:1', 'tenant-9:lock:p:2')).toBe(2);
    await lock.release();
    expect(await db.redis.exists('tenant-9:lock:p:1', 'tenant-9:lock:p:2')).toBe(0);
    await tenant.close();
    prefixed.disconnect();
  });
});
