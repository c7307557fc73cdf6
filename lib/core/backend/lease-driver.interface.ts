import type { AcquireReply, ExtendRequest, OwnedResult } from './lock-backend.interface.js';

/**
 * What an acquisition of a semaphore permit carries besides its key and token.
 * @internal
 */
export interface LeaseParams {
  /** Permits this acquisition takes. */
  readonly weight: number;
  /** The semaphore's limit. */
  readonly limit: number;
}

/**
 * How the leases of one primitive (plain locks, fair locks, semaphore permits, read locks,
 * write locks) are taken, renewed and given back in Redis. The manager's waiting, validity,
 * renewal and events are the same for all of them; only these calls differ. A `LockBackend` is
 * the driver of plain locks.
 *
 * One driver per primitive and manager: the renewal scheduler batches the extensions of the
 * leases that share a driver.
 * @internal
 */
export interface LeaseDriver {
  /**
   * One attempt. `waiter` names the caller in announcements while it holds a place in a queue
   * (drivers that are `addressed`).
   */
  acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
    params?: LeaseParams,
    waiter?: string,
  ): Promise<AcquireReply>;
  /** Gives the lease back; the result tells whether it was still held. */
  release(redisKeys: readonly string[], token: string): Promise<OwnedResult>;
  extend(request: ExtendRequest): Promise<OwnedResult>;
  /** Extends many leases in as few round trips as the topology allows. */
  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]>;
  /** The channel releases of `redisKey` are announced on, as the wakeup transport names it. */
  channelFor(redisKey: string): string;
  /**
   * For primitives whose waiters hold a place in Redis (a queue): called once when a waiter
   * gives up (timeout, abort, error), so its place goes at once rather than at its expiry.
   */
  abandon?(redisKeys: readonly string[], token: string): Promise<void>;
  /**
   * Whether waiters are woken by name: a release announces the waiter whose turn it is, and
   * only that waiter wakes (fair queues).
   */
  readonly addressed?: boolean;
  /**
   * Set when a release grants the lease straight to the first waiter (`grant:<waiter>:<fencing
   * token>`): the ttl in ms of such a grant, counted from a moment the waiter knows precedes it,
   * until the waiter confirms the grant by extending it.
   */
  readonly grantTtl?: number;
}
