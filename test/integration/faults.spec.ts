import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LockAcquiredEvent,
  LockBackendError,
  LockLostError,
  LockManager,
  LockTimeoutError,
} from '../../lib/core/index.js';
import { forkWorker, nextMessage } from '../support/processes.js';
import { startRedis, stopAllRedis } from '../support/redis-server.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';
import { until } from '../support/until.js';

// Each check asks a server that restarts or fails over: patiently, and not too often.
const PATIENTLY = { timeoutMs: 15_000, everyMs: 20 };

describe('faults injected for real', () => {
  const unhandled = recordUnhandledRejections();
  afterAll(() => stopAllRedis());
  afterEach(() => expect(unhandled).toEqual([]));

  it('Redis killed under a renewed lock: the signal aborts, nothing goes unhandled, locking resumes after a restart', async () => {
    const server = await startRedis();
    const redis = server.client();
    const manager = new LockManager(redis);
    const lock = await manager.acquire('survivor', { ttl: 600, autoExtend: true });
    const lostReason = new Promise<unknown>((resolve) =>
      lock.signal.addEventListener('abort', () => resolve(lock.signal.reason)),
    );

    await server.kill();
    const reason = await lostReason;
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).reason).toBe('unconfirmed');
    await expect(lock.release()).rejects.toBe(reason);
    // Meanwhile a single attempt fails as a Redis failure, never as "held by someone else".
    await expect(manager.tryAcquire('survivor')).rejects.toBeInstanceOf(LockBackendError);

    await server.restart();
    const again = await manager.acquire('survivor', { waitTimeout: 10_000 });
    // The restarted server lost the fencing counter; tokens still grow, from its clock.
    expect(again.fencingToken).toBeGreaterThan(lock.fencingToken);
    await again.release();
    await manager.close();
    redis.disconnect();
    await server.stop();
  });

  it('a holder process SIGSTOPped past its ttl: another process acquires, the resumed release deletes nothing', async () => {
    const server = await startRedis();
    const redis = server.client();
    const manager = new LockManager(redis);
    const child = forkWorker('hold-worker.cjs', [String(server.port), 'paused', '1000']);
    try {
      const held = await nextMessage<{ type: string; token: string; fencingToken: number }>(
        child,
        'acquired',
      );
      child.kill('SIGSTOP');
      // Frozen: no renewal. The key expires and another process gets the lock.
      const mine = await manager.acquire('paused', { waitTimeout: 5_000 });
      expect(mine.fencingToken).toBeGreaterThan(held.fencingToken);
      child.kill('SIGCONT');
      child.send('release');
      const outcome = await nextMessage<{ type: string; name: string; signalReason?: string }>(
        child,
      );
      expect(outcome.type).toBe('release-failed');
      expect(outcome.name).toBe('LockLostError');
      expect(outcome.signalReason).toBe('LockLostError');
      expect(await redis.hget('lock:paused', 't')).toBe(mine.token);
      await mine.release();
    } finally {
      child.kill('SIGKILL');
      await manager.close();
      redis.disconnect();
      await server.stop();
    }
  });

  it('an acquire answered after its validity passed is released and retried, never returned', async () => {
    const server = await startRedis();
    const redis = server.client();
    const manager = new LockManager(redis);
    const events: LockAcquiredEvent[] = [];
    manager.on('acquired', (event) => events.push(event));
    await manager.acquire('warm');

    server.pause();
    const pending = manager.acquire('late', { ttl: 200, waitTimeout: 10_000 });
    await sleep(400);
    server.resume();
    const lock = await pending;
    // The first grant came back 400 ms after the request: useless for a 200 ms lock.
    expect(events.at(-1)!.attempts).toBeGreaterThanOrEqual(2);
    expect(lock.remainingTime).toBeGreaterThan(0);
    expect(lock.remainingTime).toBeLessThanOrEqual(200);
    expect(await redis.hget('lock:late', 't')).toBe(lock.token);
    await lock.release();
    await manager.close();
    redis.disconnect();
    await server.stop();
  });

  it('a paused Redis ends the wait with a LockTimeoutError that names the cause, and leaves no lock', async () => {
    const server = await startRedis();
    const redis = server.client();
    const manager = new LockManager(redis);
    await manager.acquire('warm');

    server.pause();
    const error = await manager.acquire('frozen', { waitTimeout: 200 }).catch((e: unknown) => e);
    server.resume();
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).message).toMatch(/Redis did not answer/);
    expect((error as LockTimeoutError).cause).toBeInstanceOf(Error);
    // The attempt still ran once Redis woke up; its lock was released at once.
    await until(
      async () => (await redis.exists('lock:frozen')) === 0,
      'the late lock to go',
      PATIENTLY,
    );
    await manager.close();
    redis.disconnect();
    await server.stop();
  });
});
