// Every Redis client library the engine supports, made the same way for the parameterized
// suites: one server (or a Cluster's seed nodes) in, a connected client and its closer out.
import { Cluster as IoredisCluster, Redis as IoredisRedis } from 'ioredis';
import { Cluster as Ioredis5Cluster, Redis as Ioredis5Redis } from 'ioredis5';
import { Cluster as IovalkeyCluster, Redis as IovalkeyRedis } from 'iovalkey';
import { createClient as createClient6, createCluster } from 'redis';
import { createClient as createClient5, createCluster as createCluster5 } from 'redis5';
import type { LockClient } from '../../lib/core/index.js';

/** The client libraries (and protocol versions) every behavioural suite runs on. */
export const CLIENT_KINDS = [
  'ioredis 6',
  'ioredis 5',
  'iovalkey',
  'node-redis 6 (RESP3)',
  'node-redis 6 (RESP2)',
  'node-redis 5 (RESP2)',
] as const;

export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A client the test made; `close()` is idempotent and never throws. */
export interface TestClient {
  readonly client: LockClient;
  /** Settles once the client connected (ioredis connects by itself: already settled). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const quiet = <T extends { on(event: 'error', listener: () => void): unknown }>(client: T): T => {
  // Tests kill and pause servers: an unhandled 'error' event would crash the worker.
  client.on('error', () => undefined);
  return client;
};

/** node-redis: give up reconnecting quickly between tries, as a test kills servers. */
const NODE_REDIS_SOCKET = { reconnectStrategy: (retries: number) => Math.min(50 * retries, 500) };

/** A client of the Redis on `port`, connected. */
export async function connectClient(kind: ClientKind, port: number): Promise<TestClient> {
  const made = createClient(kind, port);
  await made.ready;
  return made;
}

/**
 * A client of the Redis on `port`, connecting: node-redis's `connect()` is called, not awaited,
 * as an application whose first lock comes before the connection is up.
 */
export function createClient(kind: ClientKind, port: number): TestClient {
  const host = '127.0.0.1';
  switch (kind) {
    case 'ioredis 6':
      return ioredisClient(quiet(new IoredisRedis({ host, port })));
    case 'ioredis 5':
      return ioredisClient(quiet(new Ioredis5Redis({ host, port })));
    case 'iovalkey':
      return ioredisClient(quiet(new IovalkeyRedis({ host, port })));
    case 'node-redis 6 (RESP3)':
    case 'node-redis 6 (RESP2)': {
      const RESP = kind === 'node-redis 6 (RESP3)' ? 3 : 2;
      const client = quiet(createClient6({ RESP, socket: { host, port, ...NODE_REDIS_SOCKET } }));
      return nodeRedisClient(client, client.connect());
    }
    case 'node-redis 5 (RESP2)': {
      const client = quiet(createClient5({ socket: { host, port, ...NODE_REDIS_SOCKET } }));
      return nodeRedisClient(client, client.connect());
    }
  }
}

/** A Cluster client of the library, from the cluster's seed nodes. */
export async function connectClusterClient(
  kind: ClientKind,
  ports: readonly number[],
): Promise<TestClient> {
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  const urls = nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` }));
  switch (kind) {
    case 'ioredis 6':
      return ioredisClient(quiet(new IoredisCluster(nodes)));
    case 'ioredis 5':
      return ioredisClient(quiet(new Ioredis5Cluster(nodes)));
    case 'iovalkey':
      return ioredisClient(quiet(new IovalkeyCluster(nodes)));
    case 'node-redis 6 (RESP3)':
    case 'node-redis 6 (RESP2)': {
      const RESP = kind === 'node-redis 6 (RESP3)' ? 3 : 2;
      const cluster = quiet(
        createCluster({ rootNodes: urls, RESP, defaults: { socket: NODE_REDIS_SOCKET } }),
      );
      return nodeRedisClient(cluster, await cluster.connect());
    }
    case 'node-redis 5 (RESP2)': {
      const cluster = quiet(
        createCluster5({ rootNodes: urls, defaults: { socket: NODE_REDIS_SOCKET } }),
      );
      return nodeRedisClient(cluster, await cluster.connect());
    }
  }
}

function ioredisClient(client: { disconnect(): void }): TestClient {
  return {
    client: client as unknown as LockClient,
    ready: Promise.resolve(),
    close: () => {
      client.disconnect();
      return Promise.resolve();
    },
  };
}

function nodeRedisClient(
  client: { readonly isOpen: boolean; destroy(): unknown },
  connecting: unknown,
): TestClient {
  return {
    client: client as unknown as LockClient,
    // Never rejects: a test that needs the connection awaits it; a failure shows as an error.
    ready: Promise.resolve(connecting).then(
      () => undefined,
      () => undefined,
    ),
    close: async () => {
      if (client.isOpen) await client.destroy();
    },
  };
}
