import type { LockBackendError } from '../errors/lock-backend.error.js';
import type { LockLostError } from '../errors/lock-lost.error.js';
import type { RedisLockError } from '../errors/redis-lock.error.js';

/**
 * Fields every event about a held lease carries (a lock, a read or write lock, a semaphore
 * permit).
 * @publicApi
 */
export interface LockEventBase {
  /** The lock (or semaphore) key, without the manager's `keyPrefix`. */
  readonly key: string;
  /** The first 8 characters of the owner token: enough to correlate, useless to forge. */
  readonly token: string;
  /** The lock's fencing token; 0 for a read lock or a semaphore permit, which have none. */
  readonly fencingToken: number;
}

/** @publicApi */
export interface LockAcquiredEvent extends LockEventBase {
  /** Milliseconds from the call to the grant. */
  readonly waitedMs: number;
  /** Acquire attempts sent to Redis, 1 when the lock was free. */
  readonly attempts: number;
}

/** @publicApi */
export interface LockReleasedEvent extends LockEventBase {
  /** Milliseconds the lock was held. */
  readonly heldMs: number;
}

/** @publicApi */
export interface LockExtendedEvent extends LockEventBase {
  /** The new time to live, in milliseconds. */
  readonly ttl: number;
  /** `true` for a renewal by `autoExtend`/`withLock`, `false` for `lock.extend()`. */
  readonly automatic: boolean;
}

/** @publicApi */
export interface LockLostEvent extends LockEventBase {
  /** Milliseconds from the grant to the loss. */
  readonly heldMs: number;
  /** Why it was lost; the same error aborts the lock's signal. */
  readonly error: LockLostError;
}

/**
 * Redis could not confirm a release: the lock expires by itself within its ttl, and waiters
 * are only woken then. The caller of `release()` gets the same error.
 * @publicApi
 */
export interface LockReleaseFailedEvent extends LockEventBase {
  /** Milliseconds from the grant to the failed release. */
  readonly heldMs: number;
  readonly error: LockBackendError;
}

/**
 * An acquire found the lock held and starts waiting for its release.
 * @publicApi
 */
export interface LockWaitStartedEvent {
  readonly key: string;
  /** Milliseconds from the call to the start of the wait (the first attempt's round trip). */
  readonly waitedMs: number;
}

/**
 * A wait that `waitStarted` announced is over.
 * @publicApi
 */
export interface LockWaitEndedEvent {
  readonly key: string;
  /** Milliseconds from the call to the end of the wait. */
  readonly waitedMs: number;
  readonly outcome: 'acquired' | 'timeout' | 'aborted' | 'error';
}

/**
 * An acquire ended without the lock.
 * @publicApi
 */
export interface LockAcquireFailedEvent {
  readonly key: string;
  /** Milliseconds from the call to the failure. */
  readonly waitedMs: number;
  /** `held`: `tryAcquire()` found it taken; the others come with `error`. */
  readonly reason: 'held' | 'timeout' | 'aborted' | 'error';
  readonly error?: RedisLockError;
}

/**
 * With `waitForReplicas` and `onShortfall: 'report'`: a lock was granted although fewer replicas
 * than required acknowledged it. A failover now could lose it; fencing tokens still protect
 * the data.
 * @publicApi
 */
export interface LockReplicaShortfallEvent {
  readonly key: string;
  readonly fencingToken: number;
  /** Replicas that acknowledged within `waitForReplicas.timeout`. */
  readonly acknowledged: number;
  /** `waitForReplicas.replicas`. */
  readonly required: number;
}

/**
 * Something an operator should fix, although locks still work: `pubsub-denied` when Redis refuses
 * the release announcements for want of ACL permission (waiters then poll, which is slower and
 * costs more commands). Emitted once per manager; without a listener it becomes a process
 * warning (printed on stderr by default).
 * @publicApi
 */
export interface LockWarningEvent {
  readonly code: 'pubsub-denied';
  /** What is wrong and what to change, in a sentence or two. */
  readonly message: string;
  /** What Redis answered. */
  readonly error: Error;
}

/**
 * Events a `LockManager` emits, for logs and metrics. Listeners run synchronously: keep them
 * cheap. Payloads are only built when someone listens.
 *
 * @example
 * manager.on('lost', ({ key, error }) => logger.warn(`lost ${key}: ${error.reason}`));
 * @publicApi
 */
export interface LockManagerEvents {
  acquired: [LockAcquiredEvent];
  released: [LockReleasedEvent];
  extended: [LockExtendedEvent];
  lost: [LockLostEvent];
  releaseFailed: [LockReleaseFailedEvent];
  waitStarted: [LockWaitStartedEvent];
  waitEnded: [LockWaitEndedEvent];
  acquireFailed: [LockAcquireFailedEvent];
  replicaShortfall: [LockReplicaShortfallEvent];
  warning: [LockWarningEvent];
}
