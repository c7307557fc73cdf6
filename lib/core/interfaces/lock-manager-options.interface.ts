import type { Redis } from 'ioredis';
import type { NodeRedisClient, NodeRedisSentinel } from './node-redis-client.interface.js';
import type { RetryOptions } from './retry-options.interface.js';
import type { WaitForReplicasOptions } from './wait-for-replicas-options.interface.js';

/**
 * Options of a `LockManager`. Every field is optional; the defaults suit most applications.
 *
 * @example
 * const manager = new LockManager(redis, { keyPrefix: 'shop:lock:', ttl: 10_000, waitTimeout: 5_000 });
 * @publicApi
 */
export interface LockManagerOptions {
  /**
   * Prepended to every lock key in Redis, so locks never collide with data keys.
   * Must not be empty. A `{hash tag}` in it puts every lock in one Cluster slot.
   * @default 'lock:'
   */
  keyPrefix?: string;
  /**
   * Default time to live of a lock in Redis, in milliseconds.
   * @default 30000
   */
  ttl?: number;
  /**
   * Default time `acquire()` waits for a lock held by someone else, in milliseconds.
   * @default 10000
   */
  waitTimeout?: number;
  /**
   * Whether `acquire()` keeps extending locks until they are released.
   * @default false
   */
  autoExtend?: boolean;
  /** Backoff of the safety-net polling while waiting. */
  retry?: RetryOptions;
  /**
   * Fraction of the ttl subtracted from a lock's validity for clock-rate drift between this
   * process and Redis; 2 ms are subtracted on top.
   * @default 0.01
   */
  driftFactor?: number;
  /**
   * Label stored with every lock this manager takes, shown by `inspect()`, to tell operators
   * which instance holds a lock.
   * @default `${os.hostname()}:${process.pid}`
   */
  owner?: string;
  /**
   * Longest accepted lock key, in characters (without the prefix).
   * @default 1024
   */
  maxKeyLength?: number;
  /**
   * A connection to use for the pub/sub wakeups of waiters. The manager never closes a
   * connection it is given. Without it the manager creates one with `client.duplicate()` the
   * first time a caller has to wait, and closes it after a few idle seconds or on `close()`.
   *
   * ioredis before 6.1 (and iovalkey 0.4) subscribes a connection again after a reconnect
   * without handling that command's failure: closing a lent ioredis subscriber while it is
   * reconnecting can raise an unhandled rejection ("Connection is closed.") from ioredis itself.
   * Use ioredis 6.1 or later, or let the manager make its own connection, which handles it.
   */
  subscriber?: Redis | NodeRedisClient | NodeRedisSentinel;
  /**
   * With several masters (Redlock quorum): how long one round waits for a master's answer, in
   * milliseconds. A slow or dead master is counted as "did not answer" after this, so it cannot
   * stall an acquire, a renewal or a release. Keep it small next to the ttl (redis.io suggests
   * 5-50 ms for a 10 s ttl on a fast network). Ignored with a single client.
   * @default 200
   */
  nodeTimeout?: number;
  /**
   * Whether locks on one key are fair unless a call says otherwise: the default of
   * {@link AcquireOptions.fair}. Fair locks queue their waiters in Redis and a release hands the
   * lock straight to the next one; `false` makes the default the barging lock, where every
   * waiter is woken by a release and the fastest one wins.
   * @default true
   */
  fair?: boolean;
  /**
   * For fair locks, semaphores and the writers of read-write locks, which wait in a queue in
   * Redis (permits handed to a waiter count like a handed-over lock below): how long
   * a waiter keeps its place without renewing it, in milliseconds (at least 100). A waiting
   * caller renews its place about every third of this; a waiter whose process died or froze
   * loses its place after it, so it holds up the callers queued behind it at most this long. A
   * lock handed to a waiter by a release lasts until the waiter's place ends (at most this long)
   * until the waiter confirms it with an extension to its own ttl, at most a third of this into
   * its hold (at once when its ttl is the shorter): a waiter that died just before its turn costs the
   * others at most this long, and a lock released sooner costs no confirmation.
   * @default 5000
   */
  waiterTtl?: number;
  /**
   * Opt-in replication check after each acquisition (`WAIT`), for a master with replicas
   * (Sentinel, Cluster), of barging locks (not of fair locks, semaphores or read-write locks:
   * with it set, locks are barging unless a call asks for `fair: true`, which is refused).
   * Off by default. See {@link WaitForReplicasOptions} for what it does and
   * does not guarantee.
   * @example { replicas: 1, timeout: 100, onShortfall: 'fail' }
   */
  waitForReplicas?: WaitForReplicasOptions;
}
