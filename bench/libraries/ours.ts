import type { Redis } from 'ioredis';
import {
  LockManager,
  LockTimeoutError,
  type AcquireOptions,
  type LockManagerOptions,
} from '../../lib/core/index.js';
import {
  AcquireFailure,
  type Contender,
  type ContenderSpec,
  type ContenderTweaks,
  type Held,
} from './contender.js';

/** This library's engine: one LockManager per connection, as an application would have. */
class OursContender implements Contender {
  private readonly manager: LockManager;

  constructor(
    redis: Redis,
    options: LockManagerOptions,
    private readonly acquireOptions: AcquireOptions | undefined,
  ) {
    this.manager = new LockManager(redis, options);
  }

  get waiterTtlMs(): number {
    return this.manager.options.waiterTtl;
  }

  async acquire(key: string): Promise<Held> {
    try {
      return await this.manager.acquire(key, this.acquireOptions);
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
  tuning: 'default' | 'tuned' | 'fair' | 'barging',
  options: LockManagerOptions,
  acquireOptions: AcquireOptions | undefined,
  description: string,
): ContenderSpec {
  return {
    id: `ours/${tuning}`,
    library: 'ours',
    tuning,
    options: acquireOptions ? { ...options, acquire: acquireOptions } : options,
    description,
    create: (redis: Redis, tweaks?: ContenderTweaks) =>
      new OursContender(
        redis,
        tweaks?.waiterTtl === undefined ? options : { ...options, waiterTtl: tweaks.waiterTtl },
        acquireOptions,
      ),
  };
}

/**
 * What a user gets without asking: `acquire(key)` with no options. Whether that is the barging
 * mutex or the queued one with direct handoff is the engine's choice; the two variants below
 * name each explicitly, so the figures show both whatever the default is.
 */
export const OURS_DEFAULT = spec(
  'default',
  {},
  undefined,
  "new LockManager(redis), acquire(key): the engine's default mutex; ttl 30000, waitTimeout 10000, waiterTtl 5000; safety-net polling 25-50 ms at first, doubling up to 1000 ms",
);

/**
 * Waiters are woken by the release's PUBLISH whatever the settings; the only latency knob is the
 * safety-net polling, which matters for the waiters of a process that the one wakeup per release
 * did not reach.
 */
export const OURS_TUNED = spec(
  'tuned',
  { retry: { minDelay: 5, maxDelay: 50 } },
  undefined,
  'retry { minDelay: 5, maxDelay: 50 }, acquire(key): the default mutex with safety-net polling 3-5 ms at first, doubling up to 50 ms; otherwise defaults',
);

/**
 * The queued lock: `acquire(key, { fair: true })`. Waiters queue in Redis; a release hands the
 * lock straight to the first of them and announces the grant by name.
 */
export const OURS_FAIR = spec(
  'fair',
  {},
  { fair: true },
  'acquire(key, { fair: true }): waiters queue in Redis, a release hands the lock to the first of them (grant ttl = waiterTtl until it confirms); otherwise defaults',
);

/**
 * The mutex without a queue, named explicitly: `acquire(key, { fair: false })`. Waiters wait for
 * a release's PUBLISH and race for the free lock; whoever asks first after a release wins.
 */
export const OURS_BARGING = spec(
  'barging',
  {},
  { fair: false },
  "acquire(key, { fair: false }): no queue; waiters are woken by the release's PUBLISH and race for the free lock; otherwise defaults",
);
