import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import { describeLease } from '../util/describe-lease.util.js';
import { RedisLockError } from './redis-lock.error.js';

/**
 * Why a lock stopped being held before its holder released it.
 *
 * - `expired`: the key is gone from Redis (its ttl ran out, an operator force-released it, or
 *   Redis restarted or failed over without it).
 * - `taken`: the key now belongs to another holder (ours expired and somebody acquired it).
 * - `unconfirmed`: the validity window passed before Redis confirmed a renewal (Redis
 *   unreachable or slow, or this process was paused), so the lock can no longer be relied on.
 * - `closed`: the manager was closed while the lock was held.
 * @publicApi
 */
export type LockLostReason = 'expired' | 'taken' | 'unconfirmed' | 'closed';

const explanations: Record<LockLostReason, string> = {
  expired:
    'its key is gone from Redis (the ttl ran out before a renewal, an operator force-released it, or Redis restarted or failed over without it)',
  taken: 'it expired and another owner acquired it',
  unconfirmed:
    'its validity window passed before Redis confirmed a renewal (Redis unreachable or slow, or this process was paused)',
  closed: 'the lock manager was closed while it was held',
};

/**
 * The lock is no longer held by this holder, so mutual exclusion is no longer guaranteed.
 *
 * `lock.signal` is aborted with this error as its reason the moment the loss is known; `release()`
 * and `extend()` throw it. Work guarded by the lock should stop, or its writes should be checked
 * with the fencing token.
 * @publicApi
 */
export class LockLostError extends RedisLockError {
  /** What was lost: a `lock`, a `read-lock` or `write-lock`, or a semaphore `permit`. */
  readonly kind: LeaseKind;

  constructor(
    /** The lock key, without the manager's `keyPrefix`. */
    readonly key: string,
    /** Why the lock was lost. */
    readonly reason: LockLostReason,
    /**
     * The fencing token the lost lock was acquired with; 0 for a read lock or a permit, which
     * have none.
     */
    readonly fencingToken: number,
    options?: { cause?: unknown; kind?: LeaseKind },
  ) {
    const kind = options?.kind ?? 'lock';
    const what = describeLease(kind, key);
    super(
      `${what.charAt(0).toUpperCase()}${what.slice(1)}${fencingToken > 0 ? ` (fencing token ${fencingToken})` : ''} was lost: ${explanations[reason]}. ` +
        'Stop the work it guarded, use a longer ttl or autoExtend for long work' +
        (fencingToken > 0 ? ', and reject stale writes with the fencing token.' : '.'),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.kind = kind;
  }
}
