import type { Redis } from 'ioredis';
import Redlock, { ExecutionError, type Settings } from 'redlock';
import { AcquireFailure, type Contender, type ContenderSpec, type Held } from './contender.js';
import { COMMON_TTL_MS } from './ttl.js';

/** redlock 5 (beta) on a single Redis: a quorum of one. */
class RedlockContender implements Contender {
  private readonly redlock: Redlock;

  constructor(redis: Redis, settings: Partial<Settings>) {
    this.redlock = new Redlock([redis], settings);
  }

  async acquire(key: string): Promise<Held> {
    try {
      const lock = await this.redlock.acquire([key], COMMON_TTL_MS);
      return {
        release: async () => {
          await lock.release();
        },
      };
    } catch (error) {
      // Its retries ran out: redlock reports that as "unable to achieve a quorum".
      if (error instanceof ExecutionError) throw new AcquireFailure(error.message);
      throw error;
    }
  }

  // redlock.quit() would quit the Redis client, which the caller owns.
  async close(): Promise<void> {}
}

function spec(
  tuning: 'default' | 'tuned',
  settings: Partial<Settings>,
  description: string,
): ContenderSpec {
  return {
    id: `redlock/${tuning}`,
    library: 'redlock',
    tuning,
    options: { ...settings, duration: COMMON_TTL_MS },
    description,
    create: (redis) => new RedlockContender(redis, settings),
  };
}

export const REDLOCK_DEFAULT = spec(
  'default',
  {},
  'new Redlock([redis]), acquire([key], 10000): retryCount 10, retryDelay 200 ms, retryJitter 100 ms (gives up after about 2 s)',
);

export const REDLOCK_TUNED = spec(
  'tuned',
  { retryCount: 5000, retryDelay: 2, retryJitter: 1 },
  'retryCount 5000, retryDelay 2 ms, retryJitter 1 ms: polls every 1-3 ms for about 10 s',
);
