import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Semaphore, TimeoutError, type LockOptions } from 'redis-semaphore';
import { LockManager, LockTimeoutError } from '../../lib/core/index.js';
import { AcquireFailure, type Contender, type ContenderSpec, type Held } from './contender.js';
import { COMMON_TTL_MS } from './ttl.js';

/**
 * Permits of the semaphore every contender of scenario 8 shares: few enough that workers wait,
 * more than one so that the handoff of several permits at once is exercised.
 */
export const SEMAPHORE_PERMITS = 4;

/**
 * Takes a permit when fewer than ARGV[3] are in use: one sorted set of holders scored by their
 * expiry on the server's clock (the layout redis-semaphore and ours use), expired ones dropped
 * first. The least a Redis semaphore with per-holder expiry can run per attempt.
 */
const FLOOR_ACQUIRE_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;
const FLOOR_ACQUIRE_SHA = createHash('sha1').update(FLOOR_ACQUIRE_LUA).digest('hex');

/** A spin that lasts this long means something is broken, not contended. */
const SPIN_LIMIT_MS = 30_000;

/**
 * The semaphore's floor: one script to take a permit, ZREM to give it back, and under contention
 * the script again at once, as many times as it takes (the semaphore twin of the mutex floor).
 */
class SemaphoreFloor implements Contender {
  constructor(private readonly redis: Redis) {}

  async acquire(key: string): Promise<Held> {
    const token = randomBytes(16).toString('hex');
    const giveUpAt = Date.now() + SPIN_LIMIT_MS;
    while ((await this.take(key, token)) !== 1) {
      if (Date.now() > giveUpAt) throw new AcquireFailure(`spun on ${key} for ${SPIN_LIMIT_MS} ms`);
    }
    return {
      release: async () => {
        await this.redis.zrem(key, token);
      },
    };
  }

  private async take(key: string, token: string): Promise<unknown> {
    const args = [key, token, COMMON_TTL_MS, SEMAPHORE_PERMITS] as const;
    try {
      return await this.redis.evalsha(FLOOR_ACQUIRE_SHA, 1, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(FLOOR_ACQUIRE_LUA, 1, ...args);
    }
  }

  async close(): Promise<void> {}
}

/** Ours: `manager.semaphore(key, { permits }).acquire()`, one manager per connection. */
class OursSemaphore implements Contender {
  private readonly manager: LockManager;

  constructor(redis: Redis, waiterTtl: number | undefined) {
    this.manager = new LockManager(redis, waiterTtl === undefined ? {} : { waiterTtl });
  }

  get waiterTtlMs(): number {
    return this.manager.options.waiterTtl;
  }

  async acquire(key: string): Promise<Held> {
    try {
      return await this.manager.semaphore(key, { permits: SEMAPHORE_PERMITS }).acquire();
    } catch (error) {
      if (error instanceof LockTimeoutError) throw new AcquireFailure(error.message);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.manager.close();
  }
}

/** redis-semaphore's Semaphore: one object per key and acquisition. */
class RivalSemaphore implements Contender {
  constructor(
    private readonly redis: Redis,
    private readonly options: LockOptions,
  ) {}

  async acquire(key: string): Promise<Held> {
    const semaphore = new Semaphore(this.redis, key, SEMAPHORE_PERMITS, this.options);
    try {
      await semaphore.acquire();
    } catch (error) {
      if (error instanceof TimeoutError) throw new AcquireFailure(error.message);
      throw error;
    }
    return { release: () => semaphore.release() };
  }

  async close(): Promise<void> {}
}

export const SEMAPHORE_FLOOR: ContenderSpec = {
  id: 'floor/semaphore',
  library: 'floor',
  tuning: 'spin',
  permits: SEMAPHORE_PERMITS,
  options: { ttl: COMMON_TTL_MS, permits: SEMAPHORE_PERMITS },
  description: `a Lua script drops expired holders and takes a permit if fewer than ${SEMAPHORE_PERMITS} are in use (ZSET scored by expiry, ttl 10000); release by ZREM; when none is free, the script again at once (spin)`,
  create: (redis) => new SemaphoreFloor(redis),
};

export const OURS_SEMAPHORE: ContenderSpec = {
  id: 'ours/semaphore',
  library: 'ours',
  tuning: 'default',
  permits: SEMAPHORE_PERMITS,
  options: { permits: SEMAPHORE_PERMITS },
  description: `new LockManager(redis), semaphore(key, { permits: ${SEMAPHORE_PERMITS} }).acquire(): the engine's defaults (ttl 30000, waitTimeout 10000, waiterTtl 5000)`,
  create: (redis, tweaks) => new OursSemaphore(redis, tweaks?.waiterTtl),
};

function rival(tuning: 'default' | 'tuned', options: LockOptions, description: string) {
  return {
    id: tuning === 'default' ? 'redis-semaphore/semaphore' : 'redis-semaphore/semaphore-tuned',
    library: 'redis-semaphore',
    tuning,
    permits: SEMAPHORE_PERMITS,
    options,
    description,
    create: (redis: Redis) => new RivalSemaphore(redis, options),
  } satisfies ContenderSpec;
}

export const RIVAL_SEMAPHORE_DEFAULT = rival(
  'default',
  {},
  `new Semaphore(redis, key, ${SEMAPHORE_PERMITS}): lockTimeout 10000, acquireTimeout 10000, polls every 10 ms (retryInterval), refreshes every 8000 ms`,
);

export const RIVAL_SEMAPHORE_TUNED = rival(
  'tuned',
  { retryInterval: 1, refreshInterval: 0 },
  'retryInterval 1 ms, refreshInterval 0 (no refresh timer): polls every 1 ms for up to 10 s',
);
