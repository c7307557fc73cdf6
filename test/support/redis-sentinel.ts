import { Redis, type RedisOptions } from 'ioredis';
import { startRedis, type RedisServer } from './redis-server.js';
import { until } from './until.js';

// Replication and failover take seconds, and a server may refuse checks while they run.
const FAILOVER = { timeoutMs: 30_000, everyMs: 50, retryErrors: true };

export const MASTER_NAME = 'locks';

/**
 * A master, one replica and 3 Sentinels watching them, all private `redis-server` processes
 * (through `startRedis`), with a fast failure detection (500 ms) so failovers take seconds.
 */
export interface SentinelGroup {
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: readonly RedisServer[];
  /** An ioredis client that finds the master through the Sentinels, closed by `stop()`. */
  client(options?: RedisOptions): Redis;
  /** The server the Sentinels currently name as master. */
  currentMaster(): Promise<RedisServer>;
  /** Kills the master and waits until the Sentinels promoted the replica and it accepts writes. */
  failover(): Promise<{ killed: RedisServer; promoted: RedisServer; tookMs: number }>;
  stop(): Promise<void>;
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

export async function startSentinelGroup(): Promise<SentinelGroup> {
  const master = await startRedis();
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  await until(
    async () =>
      field(String(await replica.command('INFO', 'replication')), 'master_link_status') === 'up',
    'the replica to sync',
    FAILOVER,
  );
  const config = [
    `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 2`,
    `sentinel down-after-milliseconds ${MASTER_NAME} 500`,
    `sentinel failover-timeout ${MASTER_NAME} 5000`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    '',
  ].join('\n');
  const sentinels = await Promise.all(
    Array.from({ length: 3 }, () => startRedis({ config, args: ['--sentinel'] })),
  );
  // A failover needs a majority of Sentinels that know each other and the replica.
  await until(
    async () => {
      const views = await Promise.all(
        sentinels.map(async (s) => {
          const reply = (await s.command('SENTINEL', 'MASTER', MASTER_NAME)) as string[];
          const get = (name: string): string => reply[reply.indexOf(name) + 1]!;
          return Number(get('num-other-sentinels')) === 2 && Number(get('num-slaves')) === 1;
        }),
      );
      return views.every(Boolean);
    },
    'the Sentinels to discover each other and the replica',
    FAILOVER,
  );

  const clients = new Set<Redis>();
  const servers = [master, replica];
  const group: SentinelGroup = {
    master,
    replica,
    sentinels,
    client(options) {
      const client = new Redis({
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        name: MASTER_NAME,
        ...options,
      });
      client.on('error', () => undefined);
      clients.add(client);
      return client;
    },
    async currentMaster() {
      const [, port] = (await sentinels[0]!.command(
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        MASTER_NAME,
      )) as [string, string];
      return servers.find((s) => s.port === Number(port))!;
    },
    async failover() {
      const killed = await group.currentMaster();
      const next = servers.find((s) => s !== killed)!;
      const started = Date.now();
      await killed.kill();
      await until(
        async () => (await group.currentMaster()) === next,
        'the Sentinels to promote',
        FAILOVER,
      );
      await until(
        async () => field(String(await next.command('INFO', 'replication')), 'role') === 'master',
        'the promoted replica to accept writes',
        FAILOVER,
      );
      return { killed, promoted: next, tookMs: Date.now() - started };
    },
    async stop() {
      for (const client of clients) client.disconnect();
      clients.clear();
      await Promise.all([...sentinels, master, replica].map((s) => s.stop()));
    },
  };
  return group;
}
