import type { LockHealth } from '../interfaces/lock-health.interface.js';
import type { LeaseDriver, PrimitiveDriverSet } from './lease-driver.interface.js';

/**
 * A lock's state as a backend reads it: free, or held (ttl -1 for a key without expiry).
 * @internal
 */
export type RawLockInfo =
  | { readonly held: false; readonly ttl: null; readonly fencingToken: null; readonly owner: null }
  | {
      readonly held: true;
      readonly ttl: number;
      readonly fencingToken: number;
      readonly owner: string | null;
    };

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
 * renewal and events on top, the same for all of them. Each primitive is a driver
 * ({@link LeaseDriver}): `plain` for plain locks, `primitives()` for the others; the backend
 * itself answers what operators ask (inspect, list, force release, health) and opens the
 * connection waiters listen on.
 *
 * A lock has one or more keys (`redisKeys`, full names, in the canonical order every caller
 * uses); acquire takes all of them or none.
 * @internal
 */
export interface LockBackend {
  /** The driver of plain locks (barging, one or more keys). */
  readonly plain: LeaseDriver;
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
