import type * as Ioredis from 'ioredis';
import type { LockClient } from '../core/lock-manager.js';
import type { NodeRedisLockClient } from '../core/interfaces/node-redis-client.interface.js';
import type { LockEventLogger } from '../logging/lock-event-logger.js';
import type { RedisLockConnectionOptions } from '../options/resolve-module-options.js';
import type { RedisLockConnection } from '../redis-lock-connection.interface.js';
import { loadClientLibrary } from './load-client-library.js';

/** What the module calls of node-redis's package. */
interface NodeRedisPackage {
  createClient(options: object): NodeRedisLockClient & { connect(): Promise<unknown> };
  createCluster(options: object): NodeRedisLockClient & { connect(): Promise<unknown> };
}

/**
 * The connection(s) the module locks with: the user's client as it is, or clients the module
 * creates (and will close) with ioredis or, with `nodeRedis`, node-redis. A node-redis client
 * is connected here without waiting: commands queue until it is up, as ioredis's do, so a Redis
 * that is down at bootstrap only fails bootstrap with `failFast`.
 * @internal
 */
export async function createModuleConnection(
  connection: RedisLockConnectionOptions,
  log: LockEventLogger,
): Promise<RedisLockConnection> {
  switch (connection.kind) {
    case 'client':
      return { client: connection.client, owned: false };
    case 'memory':
      return { client: connection.store, owned: false };
    case 'cluster': {
      const { Cluster } = await loadClientLibrary<typeof Ioredis>('ioredis', 'cluster');
      return { client: watch(new Cluster(connection.nodes, connection.options), log), owned: true };
    }
    case 'create': {
      const { Redis } = await loadClientLibrary<typeof Ioredis>('ioredis', 'url');
      const { urls, redis } = connection;
      const clients = (urls ?? [undefined]).map((url) =>
        watch(url === undefined ? new Redis(redis) : new Redis(url, redis), log),
      );
      return { client: clients.length === 1 ? clients[0]! : clients, owned: true };
    }
    case 'node-redis': {
      const nodeRedis = await loadClientLibrary<NodeRedisPackage>('redis', 'nodeRedis');
      const { urls, clusterNodes, options } = connection;
      if (clusterNodes) {
        const rootNodes = clusterNodes.map((node) =>
          typeof node === 'object'
            ? { socket: { host: node.host ?? '127.0.0.1', port: node.port ?? 6379 } }
            : typeof node === 'number'
              ? { socket: { host: '127.0.0.1', port: node } }
              : { url: node.includes('://') ? node : `redis://${node}` },
        );
        const cluster = nodeRedis.createCluster({ ...options, rootNodes });
        return { client: connect(watch(cluster, log)), owned: true };
      }
      const clients = (urls ?? [undefined]).map((url) =>
        connect(
          watch(nodeRedis.createClient(url === undefined ? options : { ...options, url }), log),
        ),
      );
      return {
        client: clients.length === 1 ? clients[0]! : (clients as never),
        owned: true,
      };
    }
  }
}

/** Starts connecting; failures are the 'error' events `watch` reports, retried by the client. */
function connect<T extends { connect(): Promise<unknown> }>(client: T): T {
  client.connect().catch(() => undefined);
  return client;
}

/**
 * Reports the state of a connection the module created, once per change instead of once per
 * reconnect attempt (clients emit an error on each), and keeps an unhandled 'error' event from
 * reaching the console as a stack trace.
 */
function watch<T extends LockClient>(client: T, log: LockEventLogger): T {
  let failing = false;
  client.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    log.connectionFailed(error);
  });
  client.on('ready', () => {
    if (!failing) return;
    failing = false;
    log.connectionRestored();
  });
  return client;
}
