import type { Cluster, Redis } from 'ioredis';
import { IoredisConnection } from './ioredis-connection.js';
import type { LockConnection } from './lock-connection.interface.js';
import type { NodeRedisLockClient } from '../../interfaces/node-redis-client.interface.js';
import { NodeRedisConnection } from './node-redis-connection.js';

/** One adapter per client object, shared by every manager and driver on it. */
const adapters = new WeakMap<object, LockConnection>();

const isFunction = (value: unknown): boolean => typeof value === 'function';

/**
 * The adapter of a Redis client, whichever library made it, or `undefined` for anything else:
 * - ioredis 5 and 6, and iovalkey (`defineCommand` and `duplicate`): `Redis` or `Cluster`;
 * - node-redis 5 and 6 (`sendCommand`, `isOpen`): `createClient()`, `createCluster()`
 *   (`nodeClient`) or `createSentinel()` (`getMasterNode`).
 * Told apart by what the objects do, not by `instanceof`: two copies of a client package in one
 * application (a nested dependency) must work the same.
 * @internal
 */
export function toLockConnection(value: unknown): LockConnection | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const known = adapters.get(value);
  if (known) return known;
  const client = value as Record<string, unknown>;
  let adapter: LockConnection | undefined;
  if (isFunction(client['defineCommand']) && isFunction(client['duplicate'])) {
    adapter = new IoredisConnection(value as Redis | Cluster);
  } else if (isFunction(client['sendCommand']) && typeof client['isOpen'] === 'boolean') {
    const topology = isFunction(client['nodeClient'])
      ? 'cluster'
      : isFunction(client['getMasterNode'])
        ? 'sentinel'
        : 'standalone';
    adapter = new NodeRedisConnection(value as NodeRedisLockClient, topology);
  }
  if (adapter) adapters.set(value, adapter);
  return adapter;
}
