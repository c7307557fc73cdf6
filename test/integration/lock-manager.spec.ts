import { setTimeout as sleep } from 'node:timers/promises';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockLostError,
  LockManager,
  LockManagerClosedError,
  LockReleasedError,
  LockTimeoutError,
} from '../../lib/core/index.js';
import { ACQUIRE_SCRIPT } from '../../lib/core/redis/plain/acquire.script.js';
import { callsBetween, commandCalls } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';

describe('LockManager on a single Redis', () => {
  const db = useRedisServer();
  let manager: LockManager;

  beforeEach(async () => {
    await db.redis.flushall();
    manager = db.manager({ keyPrefix: 'lock:' });
  });

  it('acquires a free lock, stores it under the prefix, and releases it', async () => {
    const lock = await manager.acquire('order:1');
    expect(lock.key).toBe('order:1');
    expect(lock.token).toMatch(/^[0-9a-f]{32}$/);
    expect(lock.isHeld).toBe(true);
    expect(await db.redis.hget('lock:order:1', 't')).toBe(lock.token);
    const pttl = await db.redis.pttl('lock:order:1');
    expect(pttl).toBeGreaterThan(29_000);
    expect(pttl).toBeLessThanOrEqual(30_000);

    await lock.release();
    expect(await db.redis.exists('lock:order:1')).toBe(0);
    expect(lock.isHeld).toBe(false);
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).toBeInstanceOf(LockReleasedError);
    await expect(lock.release()).resolves.toBeUndefined();
  });

  it('gives every acquisition its own token and strictly increasing fencing tokens', async () => {
    const tokens = new Set<string>();
    let previous = 0;
    for (let i = 0; i < 50; i++) {
      const lock = await manager.acquire(i % 2 ? 'a' : 'b');
      expect(tokens.has(lock.token)).toBe(false);
      tokens.add(lock.token);
      expect(Number.isSafeInteger(lock.fencingToken)).toBe(true);
      expect(lock.fencingToken).toBeGreaterThan(previous);
      previous = lock.fencingToken;
      await lock.release();
    }
  });

  it('keeps fencing tokens increasing after the counter is lost, from the server clock', async () => {
    const first = await manager.acquire('job');
    await first.release();
    await db.redis.flushall();
    const second = await manager.acquire('job');
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    await second.release();
  });

  it('tryAcquire returns null while another holder has the lock, and a lock once it is free', async () => {
    const holder = await manager.acquire('report');
    expect(await manager.tryAcquire('report')).toBeNull();
    await holder.release();
    const next = await manager.tryAcquire('report');
    expect(next).not.toBeNull();
    expect(next!.fencingToken).toBeGreaterThan(holder.fencingToken);
    await next!.release();
  });

  it('acquire throws LockTimeoutError with the key and the time waited', async () => {
    const holder = await manager.acquire('busy');
    const error = await manager.acquire('busy', { waitTimeout: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).key).toBe('busy');
    expect((error as LockTimeoutError).waitedMs).toBeGreaterThanOrEqual(150);
    expect((error as LockTimeoutError).message).toMatch(/held by another owner/);
    expect((error as LockTimeoutError).name).toBe('LockTimeoutError');
    await holder.release();
  });

  it('release of a lock that expired and was taken deletes nothing and throws LockLostError', async () => {
    const stale = await manager.acquire('item', { ttl: 50 });
    await sleep(80);
    const fresh = await manager.acquire('item');
    const error = await stale.release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    // The validity window ended locally before anyone else could take the key.
    expect((error as LockLostError).reason).toBe('expired');
    expect(await db.redis.hget('lock:item', 't')).toBe(fresh.token);
    expect(stale.signal.reason).toBe(error);
    await fresh.release();
  });

  it('release of a lock another holder took while this one thought it valid deletes nothing', async () => {
    const mine = await manager.acquire('taken-over', { ttl: 10_000 });
    await db.redis.del('lock:taken-over');
    const theirs = await manager.acquire('taken-over');
    const error = await mine.release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as LockLostError).reason).toBe('taken');
    expect((error as LockLostError).fencingToken).toBe(mine.fencingToken);
    expect(await db.redis.hget('lock:taken-over', 't')).toBe(theirs.token);
    await theirs.release();
  });

  it('release of a lock whose key expired reports the loss', async () => {
    const lock = await manager.acquire('short', { ttl: 30 });
    await sleep(60);
    const error = await lock.release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect(['expired']).toContain((error as LockLostError).reason);
  });

  it('extend restarts the ttl of the holder only', async () => {
    const lock = await manager.acquire('ext', { ttl: 1_000 });
    await lock.extend(60_000);
    expect(await db.redis.pttl('lock:ext')).toBeGreaterThan(59_000);
    expect(lock.ttl).toBe(60_000);
    expect(lock.remainingTime).toBeGreaterThan(59_000);

    await manager.forceRelease('ext');
    const other = await manager.acquire('ext');
    const error = await lock.extend().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as LockLostError).reason).toBe('taken');
    expect(await db.redis.hget('lock:ext', 't')).toBe(other.token);
    await other.release();
    await expect(other.extend()).rejects.toBeInstanceOf(LockReleasedError);
  });

  it('inspect reports the holder, its ttl, fencing token and owner label', async () => {
    const free = await manager.inspect('inspected');
    expect(free).toEqual({
      key: 'inspected',
      held: false,
      ttl: null,
      fencingToken: null,
      owner: null,
    });
    const labelled = new LockManager(db.redis, { owner: 'api-1:42' });
    const lock = await labelled.acquire('inspected', { ttl: 5_000 });
    const info = await manager.inspect('inspected');
    expect(info.held).toBe(true);
    expect(info.ttl).toBeGreaterThan(4_000);
    expect(info.fencingToken).toBe(lock.fencingToken);
    expect(info.owner).toBe('api-1:42');
    await lock.release();
    await labelled.close();
  });

  it('forceRelease removes any holder and reports whether there was one', async () => {
    const lock = await manager.acquire('stuck');
    expect(await manager.forceRelease('stuck')).toBe(true);
    expect(await manager.forceRelease('stuck')).toBe(false);
    await expect(lock.release()).rejects.toBeInstanceOf(LockLostError);
  });

  it('await using releases the lock at the end of the block, also on throw', async () => {
    const run = async (fail: boolean): Promise<void> => {
      await using lock = await manager.acquire('scoped');
      expect(lock.isHeld).toBe(true);
      if (fail) throw new Error('boom');
    };
    await run(false);
    expect(await db.redis.exists('lock:scoped')).toBe(0);
    await expect(run(true)).rejects.toThrow('boom');
    expect(await db.redis.exists('lock:scoped')).toBe(0);
  });

  it('withLock returns the result, rethrows the error, and always releases', async () => {
    await expect(manager.withLock('w', async (lock) => lock.fencingToken > 0)).resolves.toBe(true);
    expect(await db.redis.exists('lock:w')).toBe(0);
    const failure = new Error('work failed');
    await expect(
      manager.withLock('w', () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await db.redis.exists('lock:w')).toBe(0);
  });

  it('withLock throws LockLostError when the lock was lost while the work ran', async () => {
    const error = await manager
      .withLock('lost-during-work', async (lock) => {
        await manager.forceRelease('lost-during-work');
        return lock.fencingToken;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as LockLostError).reason).toBe('expired');
  });

  it('an acquisition resent by ioredis after a reconnect counts as success, not as held', async () => {
    // The acquire script run twice with one token, as a resend would run it.
    const run = (...args: Array<string | number>): Promise<any> =>
      db.redis.eval(ACQUIRE_SCRIPT, 2, ...args);
    const first = await run('lock:resend', 'lock:#fence', 'tok-1', 5_000, 'me');
    const second = await run('lock:resend', 'lock:#fence', 'tok-1', 5_000, 'me');
    expect(first).toEqual([1, expect.any(Number)]);
    expect(second).toEqual(first);
    const other = await run('lock:resend', 'lock:#fence', 'tok-2', 5_000, 'me');
    expect(other[0]).toBe(0);
    expect(other[1]).toBeGreaterThan(4_000);
    expect(other[2]).toBe(1);
  });

  it('refuses to overwrite a key that is not a lock', async () => {
    await db.redis.set('lock:data', 'not a lock');
    await db.redis.hset('lock:hash', 'field', 'x');
    for (const key of ['data', 'hash']) {
      const error = await manager.tryAcquire(key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      expect((error as Error).message).toMatch(/exists and is not a lock/);
    }
    expect(await db.redis.get('lock:data')).toBe('not a lock');
  });

  it('rejects bad input with a typed error before any command reaches Redis', async () => {
    const before = await commandCalls(db.server);
    const bad: Array<[unknown, unknown]> = [
      [undefined, undefined],
      ['', undefined],
      [42, undefined],
      ['order:undefined', undefined],
      ['order:[object Object]', undefined],
      ['#fence', undefined],
      ['x'.repeat(1025), undefined],
      ['ok', { ttl: 0 }],
      ['ok', { ttl: 1.5 }],
      ['ok', { ttl: '1000' }],
      ['ok', { ttl: 2 ** 31 }],
      ['ok', { waitTimeout: -1 }],
      ['ok', { waitTimeout: NaN }],
      ['ok', { signal: AbortSignal.abort() }],
      ['ok', { signal: {} }],
      ['ok', { autoExtend: 'yes' }],
      ['ok', { timeout: 1000 }],
      ['ok', 'not options'],
    ];
    for (const [key, options] of bad) {
      await expect(manager.acquire(key as string, options as any)).rejects.toThrow(
        /must|reserved|contains|Unknown|aborted|characters long/,
      );
    }
    await expect(manager.acquire(undefined as any)).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await expect(manager.inspect('')).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await expect(manager.withLock('ok', 'not a function' as any)).rejects.toBeInstanceOf(
      InvalidLockOptionsError,
    );
    expect(callsBetween(before, await commandCalls(db.server))).toEqual({});
    expect(await db.redis.dbsize()).toBe(0);
  });

  it('rejects invalid manager options at construction', () => {
    expect(() => new LockManager(db.redis, { keyPrefix: '' })).toThrow(InvalidLockOptionsError);
    expect(() => new LockManager(db.redis, { ttl: -5 })).toThrow(/ttl must be/);
    expect(() => new LockManager(db.redis, { retry: { minDelay: 100, maxDelay: 10 } })).toThrow(
      /maxDelay/,
    );
    expect(() => new LockManager(db.redis, { driftFactor: 2 })).toThrow(/driftFactor/);
    expect(() => new LockManager(db.redis, { waittimeout: 5 } as any)).toThrow(/Unknown/);
    expect(() => new LockManager({} as any)).toThrow(
      /needs a Redis client: ioredis or iovalkey .* or node-redis/,
    );
  });

  it('close() releases held locks, aborts their signals and refuses new work', async () => {
    const closing = new LockManager(db.redis);
    const held = await closing.acquire('held-at-close', { autoExtend: true });
    await closing.close();
    expect(held.signal.aborted).toBe(true);
    expect(held.signal.reason).toBeInstanceOf(LockLostError);
    expect((held.signal.reason as LockLostError).reason).toBe('closed');
    expect(await db.redis.exists('lock:held-at-close')).toBe(0);
    await expect(closing.acquire('x')).rejects.toBeInstanceOf(LockManagerClosedError);
    expect(db.redis.status).toBe('ready');
  });

  it('keeps a {hash tag} in the key and honours the client keyPrefix', async () => {
    const prefixed = db.server.client({ keyPrefix: 'app:' });
    const tagged = new LockManager(prefixed);
    const lock = await tagged.acquire('{tenant:7}:order:1');
    expect(await db.redis.hget('app:lock:{tenant:7}:order:1', 't')).toBe(lock.token);
    // A waiter on the prefixed client is woken by the release (channel names carry the prefix).
    const waiting = tagged.acquire('{tenant:7}:order:1', { waitTimeout: 5_000 });
    await sleep(50);
    await lock.release();
    const next = await waiting;
    expect(next.fencingToken).toBeGreaterThan(lock.fencingToken);
    await next.release();
    await tagged.close();
    prefixed.disconnect();
  });
});
