import type { Cluster, Redis } from 'ioredis';
import type { InMemoryLockStore } from '../memory/in-memory-lock-store.js';
import type {
  NodeRedisClient,
  NodeRedisLockClient,
  NodeRedisSentinel,
} from './node-redis-client.interface.js';

/**
 * A Redis client the manager can take locks on, whichever library made it:
 * - ioredis 5 or 6 (and iovalkey, the ioredis fork for Valkey): `Redis` (one server, or a
 *   Sentinel-managed master) or `Cluster`;
 * - node-redis 5 or 6 (the `redis` package): `createClient()`, `createCluster()` or
 *   `createSentinel()`, RESP2 or RESP3, connected before the first lock.
 * The manager tells them apart itself and never closes them.
 * @publicApi
 */
export type LockClient = Redis | Cluster | NodeRedisLockClient;

/**
 * A client of one independent master of a Redlock quorum: not a Cluster.
 * @publicApi
 */
export type QuorumMasterClient = Redis | NodeRedisClient | NodeRedisSentinel;

/**
 * What a manager takes locks on: one client (see {@link LockClient}), 3 to 15 clients of
 * independent Redis masters for a Redlock quorum, or an `InMemoryLockStore` (one process only:
 * for tests, from `nestjs-redis-lock/testing`).
 * @publicApi
 */
export type LockTarget = LockClient | readonly QuorumMasterClient[] | InMemoryLockStore;

/**
 * @deprecated since 0.2 (removed in 0.3): renamed {@link LockTarget}, which says what it is
 * (a store is not a client).
 * @publicApi
 */
export type LockClients = LockTarget;
