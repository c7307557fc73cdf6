import type { Redis } from 'ioredis';

/** A lock held through one of the libraries under test. */
export interface Held {
  release(): Promise<void>;
}

/**
 * One library, with one set of settings, behind the two calls every scenario needs. Adapters
 * add nothing the library does not do itself: the figures are the library's.
 */
export interface Contender {
  /** Waits for the lock as the library does; throws AcquireFailure when the library gives up. */
  acquire(key: string): Promise<Held>;
  /** Stops what the adapter started (never the Redis connection, which the caller owns). */
  close(): Promise<void>;
  /**
   * How long a queued waiter keeps its place without renewing it, and the ttl of a lock handed
   * to a waiter until it confirms it, in ms: only for a library whose waiters queue in Redis.
   */
  readonly waiterTtlMs?: number;
}

/** Settings a scenario changes on top of the contender's own (only where the library has them). */
export interface ContenderTweaks {
  /** Our engine's `waiterTtl`: the dead-waiter scenario may shorten it to run faster. */
  readonly waiterTtl?: number;
}

export type LibraryName = 'floor' | 'ours' | 'redlock' | 'redis-semaphore';

/** `spin` is the floor's only mode: it has no settings to default or tune. */
export type Tuning = 'default' | 'tuned' | 'fair' | 'barging' | 'spin';

export interface ContenderSpec {
  /** Unique and stable: it names the contender in the JSON, the table and worker messages. */
  readonly id: string;
  readonly library: LibraryName;
  readonly tuning: Tuning;
  /** The options passed to the library, as given (empty for its defaults). */
  readonly options: object;
  /** What those options amount to, defaults spelled out, for the table and the README. */
  readonly description: string;
  /**
   * Set for a semaphore's contender: its `acquire(key)` takes one of this many permits of the
   * semaphore named `key`, so up to this many critical sections may run at once. Absent: a lock.
   */
  readonly permits?: number;
  create(redis: Redis, tweaks?: ContenderTweaks): Contender;
}

/**
 * The library gave up waiting (its timeout or retry limit): a figure of the contention
 * scenario. Any other error from a library means the benchmark or the library is broken.
 */
export class AcquireFailure extends Error {
  override readonly name = 'AcquireFailure';
}
