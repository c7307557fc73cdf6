import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import { describeValue } from '../options/describe-value.util.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';
import { InMemoryBackend } from '../memory/in-memory-backend.js';
import { InMemoryLockStore } from '../memory/in-memory-lock-store.js';
import { keyspaceOf } from '../memory/memory-keyspace.js';
import type { LockBackend } from './lock-backend.interface.js';
import { QuorumBackend } from '../quorum/quorum-backend.js';
import type { LockConnection } from '../redis/connection/lock-connection.interface.js';
import { toLockConnection } from '../redis/connection/to-lock-connection.js';
import { RedisBackend, type RedisBackendConfig } from '../redis/redis-backend.js';

/** Masters a quorum accepts: more would only add latency and operations. */
const MAX_MASTERS = 15;

/**
 * The backend for what the manager was given: one client (a Redis, a Sentinel-managed Redis or
 * a Cluster), or several independent masters for a Redlock quorum. Checks everything before
 * any Redis call.
 * @internal
 */
export function createBackend(
  client: unknown,
  options: ResolvedLockManagerOptions,
  /** Whether the caller set `nodeTimeout` (the resolved options always have one). */
  nodeTimeoutGiven = false,
): LockBackend {
  if (Array.isArray(client) && client.length !== 1) return createQuorum(client, options);
  const target =
    client instanceof InMemoryLockStore
      ? client
      : checkClient(Array.isArray(client) ? client[0] : client, 'client');
  if (nodeTimeoutGiven) {
    throw new InvalidLockOptionsError(
      'nodeTimeout',
      "nodeTimeout bounds each master's answer in a Redlock quorum (an array of 3 to 15 clients); with one client it would do nothing. Remove it, or bound commands with the client's own commandTimeout.",
    );
  }
  if (!(target instanceof InMemoryLockStore)) return new RedisBackend(target, redisConfig(options));
  if (options.subscriber !== undefined || options.waitForReplicas !== undefined) {
    throw new InvalidLockOptionsError(
      options.subscriber !== undefined ? 'subscriber' : 'waitForReplicas',
      'subscriber and waitForReplicas are for Redis; an InMemoryLockStore has neither connections nor replicas.',
    );
  }
  return new InMemoryBackend(keyspaceOf(target), options.keyPrefix, options.waiterTtl);
}

function redisConfig(options: ResolvedLockManagerOptions): RedisBackendConfig {
  return {
    keyPrefix: options.keyPrefix,
    placeTtl: options.waiterTtl,
    subscriber: options.subscriber === undefined ? undefined : toLockConnection(options.subscriber),
    waitForReplicas: options.waitForReplicas,
  };
}

/** A Redlock quorum over 3 to 15 independent masters, checked before any Redis call. */
function createQuorum(
  clients: readonly unknown[],
  options: ResolvedLockManagerOptions,
): LockBackend {
  if (clients.length === 2 || clients.length === 0 || clients.length > MAX_MASTERS) {
    throw new InvalidLockOptionsError(
      'client',
      `A Redlock quorum needs 3 to ${MAX_MASTERS} independent masters (3 or 5 is usual), but received ${clients.length} clients. ` +
        (clients.length === 2
          ? 'With 2 the majority is both, so one failure stops all locking: add a third master or use one.'
          : 'Pass one client, or an array of 3 or 5 clients.'),
    );
  }
  const checked = clients.map((c, i) => {
    const redis = checkClient(c, `client[${i}]`);
    if (redis.cluster) {
      throw new InvalidLockOptionsError(
        `client[${i}]`,
        'A Redlock quorum is made of independent Redis masters (standalone or Sentinel clients), not Clusters. ' +
          'Pass one Cluster client on its own to lock on a Cluster.',
      );
    }
    return redis;
  });
  if (new Set(checked.map((c) => c.client)).size !== checked.length) {
    throw new InvalidLockOptionsError(
      'client',
      'The same client appears twice in the list of masters: a quorum needs one client per independent master.',
    );
  }
  const prefixes = new Set(checked.map((c) => c.keyPrefix));
  if (prefixes.size > 1) {
    throw new InvalidLockOptionsError(
      'client',
      `The masters' clients have different ioredis keyPrefix options (${[...prefixes].map((p) => JSON.stringify(p)).join(', ')}): give them the same one, or none and use the manager's keyPrefix.`,
    );
  }
  if (options.subscriber !== undefined) {
    throw new InvalidLockOptionsError(
      'subscriber',
      'subscriber is for a single Redis. With several masters the manager opens one pub/sub connection per master (when a caller first waits) and closes them itself.',
    );
  }
  const config = redisConfig(options);
  return new QuorumBackend(
    checked.map((c) => new RedisBackend(c, config)),
    options.nodeTimeout,
    options.owner,
  );
}

function checkClient(value: unknown, option: string): LockConnection {
  const connection = toLockConnection(value);
  if (connection) return connection;
  throw new InvalidLockOptionsError(
    option,
    `LockManager needs a Redis client: ioredis or iovalkey (new Redis(url), new Cluster(nodes)) or node-redis (await createClient({ url }).connect(), createCluster, createSentinel); or an array of 3 or 5 such clients of independent masters for a Redlock quorum. It received ${describeValue(value)}.`,
  );
}
