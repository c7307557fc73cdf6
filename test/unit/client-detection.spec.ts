import { Cluster as IoredisCluster, Redis as IoredisRedis } from 'ioredis';
import { Redis as Ioredis5Redis } from 'ioredis5';
import { Cluster as IovalkeyCluster, Redis as IovalkeyRedis } from 'iovalkey';
import { createClient, createCluster, createSentinel } from 'redis';
import {
  createClient as createClient5,
  createCluster as createCluster5,
  createSentinel as createSentinel5,
} from 'redis5';
import type { LockClient, NodeRedisLockClient } from '../../lib/core/index.js';
import { toLockConnection } from '../../lib/core/redis/connection/to-lock-connection.js';

describe('telling client libraries apart (no connection is made)', () => {
  // Typed without a cast: each library's own client type is a LockClient.
  const nodeRedis: Array<[string, string, NodeRedisLockClient]> = [
    ['node-redis 6 createClient', 'standalone', createClient()],
    ['node-redis 6 createCluster', 'cluster', createCluster({ rootNodes: [] })],
    [
      'node-redis 6 createSentinel',
      'sentinel',
      createSentinel({ name: 'm', sentinelRootNodes: [] }),
    ],
    ['node-redis 5 createClient', 'standalone', createClient5()],
    ['node-redis 5 createCluster', 'cluster', createCluster5({ rootNodes: [] })],
    [
      'node-redis 5 createSentinel',
      'sentinel',
      createSentinel5({ name: 'm', sentinelRootNodes: [] }),
    ],
  ];
  const lazy = { lazyConnect: true };
  const ioredis: Array<[string, string, LockClient]> = [
    ['ioredis 6 Redis', 'standalone', new IoredisRedis(lazy)],
    ['ioredis 6 Cluster', 'cluster', new IoredisCluster([], lazy)],
    [
      'ioredis 6 Redis with sentinels',
      'sentinel',
      new IoredisRedis({ ...lazy, sentinels: [{ port: 1 }], name: 'm' }),
    ],
    ['ioredis 5 Redis', 'standalone', new Ioredis5Redis(lazy) as unknown as LockClient],
    ['iovalkey Redis', 'standalone', new IovalkeyRedis(lazy) as unknown as LockClient],
    ['iovalkey Cluster', 'cluster', new IovalkeyCluster([], lazy) as unknown as LockClient],
  ];

  it.each(nodeRedis)('%s is node-redis (%s)', (_, topology, client) => {
    const connection = toLockConnection(client)!;
    expect(connection).toMatchObject({ family: 'node-redis', topology, keyPrefix: '' });
    // Never opened: neither down for a reconnect nor closed by its owner.
    expect(connection.isClosed()).toBe(false);
    expect(connection.unreachable()).toMatch(/connect\(\)/);
    // One adapter per client object.
    expect(toLockConnection(client)).toBe(connection);
  });

  it.each(ioredis)('%s is ioredis-compatible (%s)', (_, topology, client) => {
    expect(toLockConnection(client)).toMatchObject({ family: 'ioredis', topology });
  });

  it('a client prefix is read from ioredis, and anything else is not a client', () => {
    expect(
      toLockConnection(new IoredisRedis({ lazyConnect: true, keyPrefix: 'app:' })),
    ).toMatchObject({ keyPrefix: 'app:' });
    for (const value of [undefined, null, 'redis://x', {}, { sendCommand: () => undefined }]) {
      expect(toLockConnection(value)).toBeUndefined();
    }
  });

  afterAll(() => {
    for (const [, , client] of ioredis) (client as IoredisRedis).disconnect();
  });
});
