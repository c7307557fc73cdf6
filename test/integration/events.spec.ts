import {
  LockBackendError,
  LockLostError,
  LockManager,
  type LockManagerEvents,
  LockTimeoutError,
} from '../../lib/core/index.js';
import { startRedis } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';

type Recorded = {
  [E in keyof LockManagerEvents]: [E, LockManagerEvents[E][0]];
}[keyof LockManagerEvents];

/** Every event the manager emits, in order. */
function record(manager: LockManager): Recorded[] {
  const seen: Recorded[] = [];
  const names: Array<keyof LockManagerEvents> = [
    'acquired',
    'released',
    'extended',
    'lost',
    'releaseFailed',
    'waitStarted',
    'waitEnded',
    'acquireFailed',
    'replicaShortfall',
  ];
  for (const name of names) {
    (manager as unknown as import('node:events').EventEmitter).on(name, (event: unknown) => {
      seen.push([name, event] as Recorded);
    });
  }
  return seen;
}

describe('LockManager events: what operators get to see', () => {
  const db = useRedisServer();
  let manager: LockManager;
  let rival: LockManager;

  beforeEach(async () => {
    await db.redis.flushall();
    manager = db.manager();
    rival = db.manager();
  });

  it('acquired → released carry key, token prefix, fencing token, waited and held ms', async () => {
    const events = record(manager);
    const lock = await manager.acquire('order:1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await lock.release();
    expect(events.map(([name]) => name)).toEqual(['acquired', 'released']);
    const [[, acquired], [, released]] = events as [
      ['acquired', LockManagerEvents['acquired'][0]],
      ['released', LockManagerEvents['released'][0]],
    ];
    expect(acquired).toEqual({
      key: 'order:1',
      token: lock.token.slice(0, 8),
      fencingToken: lock.fencingToken,
      waitedMs: expect.any(Number),
      attempts: 1,
    });
    expect(released).toEqual({
      key: 'order:1',
      token: lock.token.slice(0, 8),
      fencingToken: lock.fencingToken,
      heldMs: expect.any(Number),
    });
    expect(released.heldMs).toBeGreaterThanOrEqual(25);
  });

  it('a wait: waitStarted, acquired, then waitEnded with the key and waited ms', async () => {
    const held = await rival.acquire('order:2');
    const events = record(manager);
    setTimeout(() => void held.release(), 80);
    const lock = await manager.acquire('order:2', { waitTimeout: 5_000 });
    await lock.release();
    expect(events.map(([name]) => name)).toEqual([
      'waitStarted',
      'acquired',
      'waitEnded',
      'released',
    ]);
    const started = events[0]![1] as LockManagerEvents['waitStarted'][0];
    const acquired = events[1]![1] as LockManagerEvents['acquired'][0];
    const ended = events[2]![1] as LockManagerEvents['waitEnded'][0];
    expect(started).toEqual({ key: 'order:2', waitedMs: expect.any(Number) });
    expect(started.waitedMs).toBeLessThan(80);
    expect(ended).toEqual({ key: 'order:2', waitedMs: expect.any(Number), outcome: 'acquired' });
    expect(ended.waitedMs).toBeGreaterThanOrEqual(70);
    expect(ended.waitedMs).toBeGreaterThanOrEqual(acquired.waitedMs);
    expect(acquired.attempts).toBeGreaterThanOrEqual(2);
  });

  it('a timeout: acquireFailed with the error, waitEnded; tryAcquire on a held lock: held', async () => {
    const held = await rival.acquire('order:3');
    const events = record(manager);
    await expect(manager.acquire('order:3', { waitTimeout: 60 })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    expect(await manager.tryAcquire('order:3')).toBeNull();
    expect(events.map(([name]) => name)).toEqual([
      'waitStarted',
      'acquireFailed',
      'waitEnded',
      'acquireFailed',
    ]);
    expect(events[2]![1]).toMatchObject({ key: 'order:3', outcome: 'timeout' });
    const timeout = events[1]![1] as LockManagerEvents['acquireFailed'][0];
    expect(timeout).toEqual({
      key: 'order:3',
      waitedMs: expect.any(Number),
      reason: 'timeout',
      error: expect.any(LockTimeoutError),
    });
    expect(timeout.waitedMs).toBeGreaterThanOrEqual(55);
    expect(events[3]![1]).toEqual({ key: 'order:3', waitedMs: expect.any(Number), reason: 'held' });
    await held.release();
  });

  it('a lost lock: lost with the error and held ms', async () => {
    const events = record(manager);
    const lock = await manager.acquire('order:4');
    await rival.forceRelease('order:4');
    await expect(lock.extend()).rejects.toBeInstanceOf(LockLostError);
    const lost = events.find(([name]) => name === 'lost')![1] as LockManagerEvents['lost'][0];
    expect(lost).toEqual({
      key: 'order:4',
      token: lock.token.slice(0, 8),
      fencingToken: lock.fencingToken,
      heldMs: expect.any(Number),
      error: expect.any(LockLostError),
    });
    expect(lost.error.reason).toBe('expired');
  });

  it('a release Redis cannot confirm: releaseFailed with the same error the caller gets', async () => {
    const own = await startRedis();
    // No reconnecting: once the server is killed the client ends, and needs no disconnect
    // (which would leave ioredis' 2 s close timer on a socket that is already gone).
    const client = own.client({ maxRetriesPerRequest: 0, retryStrategy: () => null });
    const fragile = new LockManager(client);
    try {
      const events = record(fragile);
      const lock = await fragile.acquire('order:5', { ttl: 1_000 });
      await own.kill();
      const error = await lock.release().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      const failed = events.find(([name]) => name === 'releaseFailed')?.[1] as
        LockManagerEvents['releaseFailed'][0] | undefined;
      expect(failed).toEqual({
        key: 'order:5',
        token: lock.token.slice(0, 8),
        fencingToken: lock.fencingToken,
        heldMs: expect.any(Number),
        error,
      });
      expect(events.some(([name]) => name === 'released')).toBe(false);
    } finally {
      await fragile.close();
      if (client.status !== 'end') client.disconnect();
      await own.stop();
    }
  });
});
