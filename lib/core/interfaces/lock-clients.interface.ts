import type { Cluster, Redis } from 'ioredis';
import type { InMemoryLockStore } from '../memory/in-memory-lock-store.js';

/**
 * An ioredis client the manager can take locks on.
 * @publicApi
 */
export type LockClient = Redis | Cluster;

/**
 * What a manager takes locks on: one client (a standalone or Sentinel `Redis`, or a `Cluster`),
 * 3 to 15 clients of independent Redis masters for a Redlock quorum, or an `InMemoryLockStore`
 * (one process only: for tests, from `nestjs-redis-lock/testing`).
 * @publicApi
 */
export type LockTarget = LockClient | readonly Redis[] | InMemoryLockStore;

/**
 * @deprecated since 0.2 (removed in 0.3): renamed {@link LockTarget}, which says what it is
 * (a store is not a client).
 * @publicApi
 */
export type LockClients = LockTarget;
