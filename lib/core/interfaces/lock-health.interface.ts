/**
 * What `LockManager.checkHealth()` found on one Redis server (a master of a Cluster or of a
 * quorum, or the one server).
 * @publicApi
 */
export interface LockNodeHealth {
  /** `host:port` of the server, its socket path, or `sentinel:<name>` for a Sentinel client. */
  readonly node: string;
  /** Whether locks can be taken there: it answered `PING` and loaded the lock scripts. */
  readonly up: boolean;
  /** Round trip of a `PING`, in milliseconds (2 decimals); `null` when it did not answer. */
  readonly roundTripMs: number | null;
  /** Whether `SCRIPT LOAD` of the acquire script succeeded (scripting allowed, ACL included). */
  readonly scripts: boolean;
  /** Why it is down, in one sentence; absent when up. */
  readonly error?: string;
}

/**
 * Result of `LockManager.checkHealth()`: whether locks can be taken right now, and what each
 * server answered.
 *
 * - `standalone` and `sentinel`: healthy when the one server (the master a Sentinel client
 *   follows) is up.
 * - `cluster`: healthy when every master the client knows is up (a master that is down leaves
 *   its slots without locks until its replica takes over).
 * - `quorum`: healthy while a majority of the masters is up (`quorum.possible`); the masters
 *   that are down are listed in `nodes`.
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
