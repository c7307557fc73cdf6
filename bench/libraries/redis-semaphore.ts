import type { Redis } from 'ioredis';
import { Mutex, TimeoutError, type LockOptions } from 'redis-semaphore';
import { AcquireFailure, type Contender, type ContenderSpec, type Held } from './contender.js';

/** redis-semaphore's Mutex: one object per lock key and acquisition. */
class SemaphoreContender implements Contender {
  constructor(
    private readonly redis: Redis,
    private readonly options: LockOptions,
  ) {}

  async acquire(key: string): Promise<Held> {
    const mutex = new Mutex(this.redis, key, this.options);
    try {
      await mutex.acquire();
    } catch (error) {
      if (error instanceof TimeoutError) throw new AcquireFailure(error.message);
      throw error;
    }
    return { release: () => mutex.release() };
  }

  async close(): Promise<void> {}
}

function spec(
  tuning: 'default' | 'tuned',
  options: LockOptions,
  description: string,
): ContenderSpec {
  return {
    id: `redis-semaphore/${tuning}`,
    library: 'redis-semaphore',
    tuning,
    options,
    description,
    create: (redis) => new SemaphoreContender(redis, options),
  };
}

export const SEMAPHORE_DEFAULT = spec(
  'default',
  {},
  'new Mutex(redis, key): lockTimeout 10000, acquireTimeout 10000, polls every 10 ms (retryInterval), refreshes every 8000 ms (a setInterval per held lock)',
);

export const SEMAPHORE_TUNED = spec(
  'tuned',
  { retryInterval: 1, refreshInterval: 0 },
  'retryInterval 1 ms, refreshInterval 0 (no refresh timer): polls every 1 ms for up to 10 s',
);
