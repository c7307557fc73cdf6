/**
 * What `LockManager.checkHealth()` found on one Redis server (a master of a Cluster or of a
 * quorum, or the one server).
 * @publicApi
 */
export interface LockNodeHealth {
  /** `host:port` of the server, its socket path, or `sentinel:<name>` for a Sentinel client. */
  readonly node: string;
  /**
   * Whether locks can be taken there: it answered `PING`, loaded the lock scripts, and took a
   * scripted write under the lock prefix (a master, not a read-only replica; the ACL user may
   * write the lock keys).
   */
  readonly up: boolean;
  /** Round trip of a `PING`, in milliseconds (2 decimals); `null` when it did not answer. */
  readonly roundTripMs: number | null;
  /** Whether `SCRIPT LOAD` of the acquire script succeeded (scripting allowed, ACL included). */
  readonly scripts: boolean;
  /** Why it is down, in one sentence; absent when up. */
  readonly error?: string;
  /**
   * What makes locks there slower or unsafe although they can be taken, each with what to
   * change: `PUBLISH` refused on the lock channels (ACL: waiters poll), or an eviction policy
   * that may drop lock keys under memory pressure. Absent when none; a node with problems makes
   * the health `healthy: false`.
   */
  readonly problems?: readonly string[];
}

/**
 * Result of `LockManager.checkHealth()`: whether locks can be taken right now, and what each
 * server answered.
 *
 * - `standalone` and `sentinel`: healthy when the one server (the master a Sentinel client
 *   follows) is up and has no problems.
 * - `cluster`: healthy when every master the client knows is up without problems (a master
 *   that is down leaves its slots without locks until its replica takes over).
 * - `quorum`: healthy while a majority of the masters is up without problems
 *   (`quorum.possible` says whether a majority answers at all); every master is in `nodes`.
 * - `in-memory` (`InMemoryLockStore`, for tests): always healthy.
 * @publicApi
 */
export interface LockHealth {
  readonly topology: 'standalone' | 'sentinel' | 'cluster' | 'quorum' | 'in-memory';
  readonly healthy: boolean;
  readonly nodes: readonly LockNodeHealth[];
  /** Quorum only: how many masters answer, and whether that is a majority. */
  readonly quorum?: {
    readonly masters: number;
    readonly needed: number;
    readonly answering: number;
    readonly possible: boolean;
  };
  /** What is wrong, in one sentence naming the servers; absent when healthy. */
  readonly error?: string;
}
