import type { Redis } from 'ioredis';
import { createClient } from 'redis';
import {
  LockManager,
  LockTimeoutError,
  type AcquireOptions,
  type LockClient,
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

  /**
   * @param closeClient closes a client the contender made itself (the caller's connection stays
   *   the caller's).
   */
  constructor(
    client: LockClient,
    options: LockManagerOptions,
    private readonly acquireOptions: AcquireOptions | undefined,
    private readonly closeClient?: () => Promise<unknown>,
  ) {
    this.manager = new LockManager(client, options);
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

  async close(): Promise<void> {
    await this.manager.close();
    await this.closeClient?.();
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

/**
 * ours/default's engine and settings on node-redis 6 instead of ioredis: what the node-redis
 * adapter costs or saves. Each contender makes a node-redis client of its own at the address of
 * the ioredis connection the scenario hands it (one per worker, as the ioredis contenders have),
 * with node-redis's defaults (RESP3). It is not awaited: node-redis queues commands until it is
 * connected, and every scenario warms up before it measures.
 */
export const OURS_NODE_REDIS: ContenderSpec = {
  id: 'ours/node-redis',
  library: 'ours',
  tuning: 'default',
  options: {},
  description:
    "new LockManager(client) on a node-redis 6 createClient() (its defaults: RESP3), connect() called, acquire(key): ours/default's settings through the node-redis adapter; one such client per connection the scenario gives",
  create: (redis: Redis, tweaks?: ContenderTweaks) => {
    const { host, port } = redis.options;
    const client = createClient({ socket: { host, port } });
    // Commands fail while it is down; the event would otherwise crash the process.
    client.on('error', () => undefined);
    client.connect().catch(() => undefined);
    return new OursContender(
      client,
      tweaks?.waiterTtl === undefined ? {} : { waiterTtl: tweaks.waiterTtl },
      undefined,
      () => client.close(),
    );
  },
};
