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
  constructor(
    /** The lock key, without the manager's `keyPrefix`. */
    readonly key: string,
    /** Why the lock was lost. */
    readonly reason: LockLostReason,
    /** The fencing token the lost lock was acquired with. */
    readonly fencingToken: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Lock "${key}" (fencing token ${fencingToken}) was lost: ${explanations[reason]}. ` +
        'Stop the work it guarded, use a longer ttl or autoExtend for long work, and reject stale writes with the fencing token.',
      options,
    );
  }
}
