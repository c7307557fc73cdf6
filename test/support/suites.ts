// The jest side of the test servers: hooks that give a describe block its servers. Kept apart
// from redis-server.ts and redis-cluster.ts, which the benchmark (no jest there) uses too.
import type { Cluster, Redis } from 'ioredis';
import { LockManager, type LockManagerOptions } from '../../lib/core/index.js';
import { startCluster, type RedisCluster } from './redis-cluster.js';
import {
  startRedis,
  stopAllRedis,
  type RedisServer,
  type StartRedisOptions,
} from './redis-server.js';

/** What a hook set up, or a clear failure when read before the hook ran. */
function startedValue<T>(value: T | undefined, helper: string): T {
  if (value === undefined) throw new Error(`${helper}(): read it in a hook or a test`);
  return value;
}

/** What `useRedisServer()` gives a describe block; read it inside hooks and tests only. */
export interface RedisSuite {
  readonly server: RedisServer;
  /** A client of `server`, made before the suite's own beforeAll hooks run. */
  readonly redis: Redis;
  /**
   * A LockManager on `redis` that the suite need not close: made in a test or a beforeEach, it
   * is closed after that test; made in a beforeAll, after the suite. Either way before `redis`
   * disconnects, as closing a manager may still talk to Redis.
   */
  manager(options?: LockManagerOptions): LockManager;
}

/**
 * Gives the calling describe block a private redis-server and a client of it, with the
 * beforeAll/afterAll hooks nearly every suite wrote by hand, teardown order included: managers
 * from `manager()`, then the client, then the servers.
 *
 * Call it first in the describe block: jest runs hooks of one block in the order they were
 * registered, so the block's own beforeAll hooks then find the server started, and its own
 * afterAll hooks run after it is stopped. The teardown ends with `stopAllRedis()`, which also
 * stops the servers and clients the tests started and did not stop; that is why two describe
 * blocks of one file may each call it (the first block's teardown runs before the second block
 * starts), but a block nested in one that called it must not (it would stop the outer server).
 */
export function useRedisServer(options?: StartRedisOptions): RedisSuite {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  const suiteManagers: LockManager[] = [];
  const testManagers: LockManager[] = [];
  let inTest = false;

  beforeAll(async () => {
    server = await startRedis(options);
    redis = server.client();
  });
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    for (const manager of testManagers.splice(0)) await manager.close();
  });
  afterAll(async () => {
    for (const manager of suiteManagers.splice(0)) await manager.close();
    redis?.disconnect();
    await server?.stop();
    await stopAllRedis();
  });

  const started = <T>(value: T | undefined): T => startedValue(value, 'useRedisServer');
  return {
    get server() {
      return started(server);
    },
    get redis() {
      return started(redis);
    },
    manager(managerOptions) {
      const manager = new LockManager(started(redis), managerOptions);
      (inTest ? testManagers : suiteManagers).push(manager);
      return manager;
    },
  };
}

/** What `useRedisCluster()` gives a describe block; read it inside hooks and tests only. */
export interface ClusterSuite {
  readonly cluster: RedisCluster;
  /** A Cluster client of it, made before the suite's own beforeAll hooks run. */
  readonly client: Cluster;
}

/**
 * Gives the calling describe block a cluster of its own and a client of it, through a beforeAll
 * that may take a minute (six servers, slots assigned, replicas in sync) and an afterAll that
 * stops it, then whatever else the tests started (`stopAllRedis()`). Call it first in the block,
 * as `useRedisServer()`, so that the block's own hooks run inside that span.
 */
export function useRedisCluster(): ClusterSuite {
  let cluster: RedisCluster | undefined;
  let client: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster();
    client = cluster.client();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await stopAllRedis();
  });
  const started = <T>(value: T | undefined): T => startedValue(value, 'useRedisCluster');
  return {
    get cluster() {
      return started(cluster);
    },
    get client() {
      return started(client);
    },
  };
}
