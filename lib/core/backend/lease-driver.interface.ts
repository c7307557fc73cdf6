/**
 * Result of one acquire attempt.
 * @internal
 */
export type AcquireReply =
  | {
      readonly acquired: true;
      /** 0 for leases without fencing (permits, read locks). */
      readonly fencingToken: number;
      /**
       * The grant left room for others (a read lock): a waiter that got it passes the wakeup on
       * to the next waiter of its process.
       */
      readonly passOn?: boolean;
      /** Set when `waitForReplicas` is on with `onShortfall: 'report'` and too few replicas acknowledged. */
      readonly shortfall?: { readonly acknowledged: number; readonly required: number };
    }
  | {
      readonly acquired: false;
      /**
       * Milliseconds after which another attempt may succeed without a wakeup (the remaining
       * ttl of the key that blocked the attempt, or when a waiter must renew its place in a
       * queue), -1 when unknown.
       */
      readonly holderTtl: number;
      /** Index (in the keys passed) of a key someone else holds. */
      readonly blockedBy: number;
      /**
       * The fencing token of the holder when the caller was queued for a handed-off lock (for a
       * semaphore, the server clock in microseconds): a grant announced to the caller afterwards
       * carries a larger one (an older grant, delayed on its way, does not).
       */
      readonly holderFence?: number;
    };

/**
 * Result of an owner-checked operation (release, extend): done, the key is gone, or another
 * holder has it.
 * @internal
 */
export type OwnedResult = 'ok' | 'expired' | 'taken';

/** @internal */
export interface ExtendRequest {
  readonly redisKeys: readonly string[];
  readonly token: string;
  readonly ttl: number;
  /** The lock's fencing token: a quorum restores it on a master that lost the lock. */
  readonly fencingToken: number;
  /**
   * Asked right before a quorum restores the lock on a master that lost it: false once the
   * lease is being released (or is lost), so no write of it follows its release.
   */
  readonly mayRestore?: () => boolean;
}

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
 * renewal and events are the same for all of them; only these calls differ. Each backend has
 * one per primitive: `LockBackend.plain`, and `primitives()` for the others.
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
   * For `addressed` drivers: the channel on which announcements that name a waiter of the
   * manager whose wakeup hub is `hubId` (a grant, `next:`) are published, as the wakeup transport
   * names it (the hub id starts the waiter ids it hands out). Without it, they go to the lock's
   * channel, where every manager waiting on the lock hears them.
   */
  waiterChannelFor?(redisKey: string, hubId: string): string;
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
  /**
   * How long one attempt may take besides its round trip, in ms: the `WAIT` of `waitForReplicas`
   * (twice, when a failover emptied the script cache and the script is sent again). An attempt
   * is given at least this on top of the usual floor, however short the caller's wait.
   */
  readonly attemptAllowanceMs?: number;
}

/**
 * The drivers of semaphores, read-write locks and fair locks of a backend.
 * @internal
 */
export interface PrimitiveDriverSet {
  readonly fair: LeaseDriver;
  readonly semaphore: LeaseDriver;
  readonly read: LeaseDriver;
  readonly write: LeaseDriver;
}
