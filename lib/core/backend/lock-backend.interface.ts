import type { LockHealth } from '../interfaces/lock-health.interface.js';
import type { LeaseDriver } from './lease-driver.interface.js';
import type { PrimitiveDriverSet } from './primitive-drivers.js';

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
       * The grant left room for others (a read lock, a permit with permits to spare): a waiter
       * that got it passes the wakeup on to the next waiter of its process.
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
       * The fencing token of the holder when the caller was queued for a handed-off lock: a grant
       * announced to the caller afterwards carries a larger one (an older grant, delayed on its
       * way, does not).
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

/** @internal */
export interface RawLockInfo {
  readonly held: boolean;
  readonly ttl: number | null;
  readonly fencingToken: number | null;
  readonly owner: string | null;
}

/**
 * The connection waiters listen on for release announcements.
 * @internal
 */
export interface WakeupTransport {
  subscribe(channels: readonly string[]): Promise<void>;
  unsubscribe(channels: readonly string[]): Promise<void>;
  /** Whether announcements are being received right now (false while reconnecting). */
  isReady(): boolean;
  /**
   * `onMessage(channel, message)` for each announcement (the message tells releases apart);
   * `onReconnect()` when announcements may have been missed.
   */
  listen(onMessage: (channel: string, message: string) => void, onReconnect: () => void): void;
  close(): Promise<void>;
}

/**
 * Where locks live. One implementation per topology; the manager adds waiting, validity,
 * renewal and events on top, the same for all of them.
 *
 * A lock has one or more keys (`redisKeys`, full names, in the canonical order every caller
 * uses); acquire takes all of them or none.
 * @internal
 */
export interface LockBackend extends LeaseDriver {
  inspect(redisKey: string): Promise<RawLockInfo>;
  /** Deletes the lock whoever holds it, or only the holder with `fencingToken` when given. */
  forceRelease(redisKey: string, fencingToken?: number): Promise<boolean>;
  /**
   * The names of the hash keys matching `match` (a glob over full lock names, without the
   * client's own ioredis prefix), page by page, through SCAN on every server that holds locks.
   * A name may come twice (SCAN's guarantee); non-hash keys are left out by Redis.
   */
  scan(match: string, count: number): AsyncIterable<readonly string[]>;
  /** Reachability, round trip and scripting of every server, each bounded by `timeout` ms. */
  probe(timeout: number): Promise<LockHealth>;
  /**
   * The drivers of semaphores, read-write locks and fair locks, or `undefined` where the
   * topology cannot offer them (a quorum of independent masters).
   */
  primitives(): PrimitiveDriverSet | undefined;
  createWakeupTransport(): WakeupTransport;
  /**
   * The ACL channel pattern that covers every wakeup channel of these locks, for operators:
   * `lock:*`, or with the client's own ioredis `keyPrefix`, `app:lock:*`.
   */
  channelPattern(): string;
  /** Whether the client can never send a command again (quit by its owner). */
  isClosed(): boolean;
  /**
   * Why commands cannot reach Redis right now (the client reconnecting, or closed), in a few
   * words; undefined while it is connected or still connecting for the first time.
   */
  unreachable(): string | undefined;
  /**
   * Whether the master may move under the client (Sentinel, Cluster): READONLY is then a
   * failover in progress, worth retrying, not a misconfiguration.
   */
  readonly followsFailover: boolean;
}
