// Issue 13, defect 1: a manual extend(longTtl) in flight while the renewal scheduler sends its
// batched extend with the old ttl. Redis applies both, in the order they were sent; whichever
// reply the engine settles last, the lease's validity must come from the ttl of the extension
// Redis applied last, never from a ttl Redis has since overwritten.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { type Lock, LockLostError, LockManager } from '../../../lib/core/index.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import { type RedisServer, startRedis, stopAllRedis } from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';

/** How far the holder's belief outlives the key in Redis, in ms (<= 0 when it does not). */
async function beliefBeyondRedis(lock: Lock, direct: Redis): Promise<number> {
  const before = performance.now();
  const believedUntil = before + lock.remainingTime;
  const pttl = await direct.pttl(`lock:${lock.key}`);
  // Redis answered somewhere between `before` and now: its expiry is at most now + pttl.
  const redisUntil = performance.now() + Math.max(pttl, 0);
  return believedUntil - redisUntil;
}

/**
 * Extends `lock`; false when the lease was already lost (a stalled event loop on a loaded
 * machine can let a 300 ms lease lapse before its renewal's reply is read). A lost lease
 * believes nothing, so such a try proves nothing either way: the caller counts it.
 */
async function extendUnlessLost(lock: Lock, ttl: number): Promise<boolean> {
  try {
    await lock.extend(ttl);
    return true;
  } catch (error) {
    if (error instanceof LockLostError) return false;
    throw error;
  }
}

describe('validity never outlives the key in Redis when a manual extend races a renewal', () => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  let proxy: FaultProxy;
  let direct: Redis;
  let manager: LockManager;
  let rival: LockManager;

  beforeAll(async () => {
    server = await startRedis();
    proxy = await startFaultProxy({ targetPort: server.port });
    direct = server.client();
    manager = new LockManager(server.client({ port: proxy.port }));
    rival = new LockManager(direct);
    // The sweeps are about the race, not the first connection: connect through the proxy and
    // send each script once before any try is timed.
    const warm = await manager.acquire('warm-up', { ttl: 1_000, autoExtend: true });
    await warm.extend(1_000);
    await warm.release();
  });
  afterAll(async () => {
    await manager.close();
    await rival.close();
    await proxy.close();
    await server.stop();
    await stopAllRedis();
  });
  afterEach(() => expect(unhandled).toEqual([]));

  it('under 20 ms of reply latency, no extend(3000) sent around a renewal leaves the lock believed held past its expiry in Redis', async () => {
    proxy.setLatency({ toClient: { ms: 20 } });
    const broken: string[] = [];
    let lost = 0;
    // The renewal of a 300 ms lock is sent 100 ms after the acquire was: sweep the manual
    // extend across that moment, so that in some tries it is sent just before the renewal
    // and answered just after.
    for (let i = 0; i < 30; i++) {
      const lock = await manager.acquire(`race:${i}`, { ttl: 300, autoExtend: true });
      await sleep(45 + i * 1.5);
      if (!(await extendUnlessLost(lock, 3_000))) {
        lost++;
        continue;
      }
      // A renewal sent while the extend was in flight is answered within a few latencies.
      await sleep(80);
      const beyond = await beliefBeyondRedis(lock, direct);
      if (beyond > 0) {
        broken.push(
          `try ${i}: believed held ${beyond.toFixed(0)} ms past the key's expiry in Redis (isHeld ${lock.isHeld}, signal aborted ${lock.signal.aborted})`,
        );
      }
      await lock.release().catch(() => undefined);
    }
    proxy.setLatency({});
    expect(broken).toEqual([]);
    // Most tries must have raced for the sweep to prove anything.
    expect(lost).toBeLessThan(10);
  });

  it('an extend to a shorter ttl bounds the validity from the moment it is sent, before its reply', async () => {
    // Redis applies the extend at once; its reply takes 400 ms to come back.
    const lock = await manager.acquire('shorter', { ttl: 5_000 });
    proxy.setLatency({ toClient: { ms: 400 } });
    const extending = lock.extend(100).catch(() => undefined);
    await sleep(250);
    // The key expired in Redis about 100 ms after the extend arrived.
    expect(await direct.exists('lock:shorter')).toBe(0);
    const beyond = await beliefBeyondRedis(lock, direct);
    expect({ isHeld: lock.isHeld, beyond: Math.max(0, Math.round(beyond)) }).toEqual({
      isHeld: false,
      beyond: 0,
    });
    await extending;
    proxy.setLatency({});
    await lock.release().catch(() => undefined);
  });

  it('another manager never gets the lock while the racing holder believes it holds it', async () => {
    proxy.setLatency({ toClient: { ms: 20 } });
    const doubleHolders: string[] = [];
    let lost = 0;
    for (let i = 0; i < 12; i++) {
      const key = `race-rival:${i}`;
      const lock = await manager.acquire(key, { ttl: 300, autoExtend: true });
      await sleep(50 + i * 2.5);
      if (!(await extendUnlessLost(lock, 3_000))) {
        lost++;
        continue;
      }
      // The holder keeps renewing: a correct engine keeps the rival out until it gives up.
      const taken = await rival.acquire(key, { waitTimeout: 600 }).catch(() => null);
      if (taken) {
        if (lock.isHeld) {
          doubleHolders.push(
            `try ${i}: the rival got the lock while the holder's isHeld was true with ${lock.remainingTime.toFixed(0)} ms left`,
          );
        }
        await taken.release().catch(() => undefined);
      }
      await lock.release().catch(() => undefined);
    }
    proxy.setLatency({});
    expect(doubleHolders).toEqual([]);
    expect(lost).toBeLessThan(4);
  });
});
