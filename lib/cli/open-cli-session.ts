import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { LockManager } from '../core/lock-manager.js';
import { closeClient } from '../core/util/close-client.util.js';
import { CliClientMissingError } from './cli-client-missing.error.js';
import { CliConnectionError } from './cli-connection.error.js';
import type { CliConnection } from './parse-cli-arguments.js';

/** A lock manager on the Redis the command line named, and how to let go of it. @internal */
export interface CliSession {
  readonly manager: LockManager;
  /** Servers that could not be reached (a quorum goes on with a majority). */
  readonly unreachable: readonly string[];
  close(): Promise<void>;
}

/**
 * Connects the way a one-shot command should: no reconnecting, no queue of commands waiting for
 * a connection, every command bounded by `timeout`, so that an unreachable or frozen Redis
 * ends the command with a message instead of hanging it.
 * @internal
 */
export async function openCliSession(connection: CliConnection): Promise<CliSession> {
  const ioredis = await loadIoredis();
  const base: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: connection.timeout,
    commandTimeout: connection.timeout,
  };
  return connection.cluster
    ? openCluster(ioredis, connection, base)
    : openServers(ioredis, connection, base);
}

/** The classes the command line builds its clients from. */
interface Ioredis {
  readonly Redis: typeof Redis;
  readonly Cluster: typeof Cluster;
}

/**
 * ioredis, loaded only once a command needs a connection: the package does not depend on it
 * (an application may use node-redis), so its absence is told as such, with what to run
 * instead, rather than as a module resolution stack at start-up.
 */
async function loadIoredis(): Promise<Ioredis> {
  try {
    // The classes of whichever ioredis resolves here (5 or 6, which type-check against one).
    const { Redis, Cluster } = await import('ioredis');
    return { Redis, Cluster } as unknown as Ioredis;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliClientMissingError(messageOf(error).split('\n')[0]!);
    }
    throw error;
  }
}

/** A Redis Cluster, from the seed nodes given; the first URL's credentials and TLS apply. */
async function openCluster(
  { Cluster }: Ioredis,
  { urls, prefix }: CliConnection,
  base: RedisOptions,
): Promise<CliSession> {
  const [first] = urls;
  const cluster = new Cluster(
    urls.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) })),
    {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      redisOptions: {
        ...base,
        ...(first!.username && { username: decodeURIComponent(first!.username) }),
        ...(first!.password && { password: decodeURIComponent(first!.password) }),
        ...(first!.protocol === 'rediss:' && { tls: {} }),
      },
    },
  );
  let lastError: unknown;
  cluster.on('error', (error: Error) => (lastError = error));
  try {
    await cluster.connect();
  } catch (error) {
    letGo(cluster);
    throw new CliConnectionError(
      urls.map(safeUrl),
      `Cannot reach the Redis Cluster at ${urls.map(safeUrl).join(', ')} (${messageOf(lastError ?? error)}).`,
    );
  }
  const manager = new LockManager(cluster, { keyPrefix: prefix });
  return session(manager, [cluster], []);
}

/** One server, or the masters of a quorum (which goes on with a majority of them). */
async function openServers(
  { Redis }: Ioredis,
  { urls, prefix }: CliConnection,
  base: RedisOptions,
): Promise<CliSession> {
  const lastErrors = new Map<Redis, Error>();
  const clients = urls.map((url) => {
    const client = new Redis(url.href, base);
    // connect() only says "Connection is closed."; the 'error' event says why.
    client.on('error', (error: Error) => lastErrors.set(client, error));
    return client;
  });
  const connected = await Promise.allSettled(clients.map((client) => client.connect()));
  const failures = connected.flatMap((outcome, i) =>
    outcome.status === 'rejected'
      ? [`${safeUrl(urls[i]!)} (${messageOf(lastErrors.get(clients[i]!) ?? outcome.reason)})`]
      : [],
  );
  const needed = clients.length === 1 ? 1 : Math.floor(clients.length / 2) + 1;
  if (clients.length - failures.length < needed) {
    for (const client of clients) letGo(client);
    throw new CliConnectionError(
      urls.map(safeUrl),
      clients.length === 1
        ? `Cannot reach Redis at ${failures[0]}.`
        : `Cannot reach a majority of the ${clients.length} masters: ${failures.join('; ')}.`,
    );
  }
  let manager: LockManager;
  try {
    manager = new LockManager(clients.length === 1 ? clients[0]! : clients, { keyPrefix: prefix });
  } catch (error) {
    for (const client of clients) letGo(client);
    throw error;
  }
  return session(manager, clients, failures);
}

function session(
  manager: LockManager,
  clients: ReadonlyArray<Redis | Cluster>,
  unreachable: readonly string[],
): CliSession {
  return {
    manager,
    unreachable,
    async close() {
      await manager.close();
      await Promise.all(clients.map((client) => closeClient(client)));
    },
  };
}

/**
 * Disconnects a client that is still connected. One that has ended already is left alone: its
 * disconnect() would arm a 2 s timer on a socket that never closes again, keeping the process up.
 */
function letGo(client: Redis | Cluster): void {
  if (client.status !== 'end') client.disconnect();
}

/** The URL without its password, for messages. @internal */
export function safeUrl(url: URL): string {
  if (!url.password) return url.href.replace(/\/$/, '');
  const shown = new URL(url.href);
  shown.password = '***';
  return shown.href.replace(/\/$/, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
