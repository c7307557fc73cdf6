import type { Redis } from 'ioredis';
import { LockManager, LockTimeoutError, type LockManagerOptions } from '../../lib/core/index.js';
import { AcquireFailure, type Contender, type ContenderSpec, type Held } from './contender.js';

/** This library's engine: one LockManager per connection, as an application would have. */
class OursContender implements Contender {
  private readonly manager: LockManager;

  constructor(
    redis: Redis,
    options: LockManagerOptions,
    private readonly fair: boolean,
  ) {
    this.manager = new LockManager(redis, options);
  }

  async acquire(key: string): Promise<Held> {
    try {
      return await this.manager.acquire(key, this.fair ? { fair: true } : undefined);
    } catch (error) {
      if (error instanceof LockTimeoutError) throw new AcquireFailure(error.message);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.manager.close();
  }
}

function spec(
  tuning: 'default' | 'tuned' | 'fair',
  options: LockManagerOptions,
  description: string,
): ContenderSpec {
  return {
    id: `ours/${tuning}`,
    library: 'ours',
    tuning,
    options,
    description,
    create: (redis) => new OursContender(redis, options, tuning === 'fair'),
  };
}

export const OURS_DEFAULT = spec(
  'default',
  {},
  'new LockManager(redis): ttl 30000, waitTimeout 10000, woken by pub/sub; safety-net polling 25-50 ms at first, doubling up to 1000 ms',
);

/**
 * Waiters are woken by the release's PUBLISH whatever the settings; the only latency knob is the
 * safety-net polling, which matters for the waiters of a process that the one wakeup per release
 * did not reach.
 */
export const OURS_TUNED = spec(
  'tuned',
  { retry: { minDelay: 5, maxDelay: 50 } },
  'retry { minDelay: 5, maxDelay: 50 }: safety-net polling 3-5 ms at first, doubling up to 50 ms; otherwise defaults',
);

/**
 * The fair lock: `acquire(key, { fair: true })`. Waiters queue in Redis and each release wakes
 * the next one by name: first come, first served, one wakeup per release.
 */
export const OURS_FAIR = spec(
  'fair',
  {},
  'acquire(key, { fair: true }): a queue in Redis, the release names the next waiter; otherwise defaults',
);
