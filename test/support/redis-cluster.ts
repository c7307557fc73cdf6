import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { freePort, startRedis, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** Cluster bus ports are the client port + 10000: both must be free. */
const BUS_OFFSET = 10_000;

/**
 * A real Redis Cluster of 3 masters and 3 replicas, made of private `redis-server` processes
 * (through `startRedis`) joined by `redis-cli --cluster create`.
 */
export interface RedisCluster {
  /** Every node, masters and replicas, as started. */
  readonly nodes: readonly RedisServer[];
  /** A new ioredis Cluster client, disconnected by `stop()` if the test forgets. */
  client(options?: ClusterOptions): Cluster;
  /** The node currently serving `slot` as master. */
  masterOf(slot: number): Promise<RedisServer>;
  /** The current masters. */
  masters(): Promise<RedisServer[]>;
  /** A live replica of `master`. */
  replicaOf(master: RedisServer): Promise<RedisServer>;
  /** Moves one slot and its keys to another master (CLUSTER SETSLOT + MIGRATE), as a reshard does. */
  moveSlot(slot: number, to: RedisServer): Promise<void>;
  /**
   * Kills the master of `slot`, waits until its replica has taken over and the cluster is ok
   * again. Returns the new master and how long the takeover took (ms).
   */
  failover(slot: number): Promise<{ killed: RedisServer; promoted: RedisServer; tookMs: number }>;
  /** Waits until every live node reports cluster_state:ok and agrees on the slot owners. */
  waitUntilOk(): Promise<void>;
  stop(): Promise<void>;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET <= 65_535 && (await isFree(port + BUS_OFFSET))) return port;
  }
}

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: Array<[number, number]>;
}

function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(address!.split('@')[0]!.split(':')[1]),
        flags: flags!.split(','),
        masterId: masterId!,
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to] = s.split('-');
            return [Number(from), Number(to ?? from)] as [number, number];
          }),
      };
    });
}

/** Starts 6 nodes and joins them into a cluster of 3 masters with one replica each. */
export async function startCluster(
  options: { nodeTimeoutMs?: number } = {},
): Promise<RedisCluster> {
  const nodeTimeout = String(options.nodeTimeoutMs ?? 1_000);
  const nodes = await Promise.all(
    Array.from({ length: 6 }, async () =>
      startRedis({
        port: await clusterPort(),
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          nodeTimeout,
          // A killed master's replica must take over however long it was connected.
          '--cluster-replica-validity-factor',
          '0',
        ],
      }),
    ),
  );
  await run('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map((n) => `127.0.0.1:${n.port}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  const clients = new Set<Cluster>();
  const dead = new Set<RedisServer>();
  const live = (): RedisServer[] => nodes.filter((n) => !dead.has(n));
  const byPort = (port: number): RedisServer => nodes.find((n) => n.port === port)!;
  const table = async (): Promise<NodeLine[]> =>
    parseNodes(String(await live()[0]!.command('CLUSTER', 'NODES')));

  const cluster: RedisCluster = {
    nodes,
    client(clientOptions) {
      const client = new Cluster(
        live().map((n) => ({ host: '127.0.0.1', port: n.port })),
        clientOptions,
      );
      client.on('error', () => undefined);
      clients.add(client);
      return client;
    },
    async masterOf(slot) {
      const owner = (await table()).find(
        (n) =>
          n.flags.includes('master') &&
          !n.flags.includes('fail') &&
          n.slots.some(([a, b]) => slot >= a && slot <= b),
      );
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return byPort(owner.port);
    },
    async masters() {
      return (await table())
        .filter(
          (n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length > 0,
        )
        .map((n) => byPort(n.port));
    },
    async replicaOf(master) {
      const lines = await table();
      const id = lines.find((n) => n.port === master.port)!.id;
      const replica = lines.find((n) => n.masterId === id && !n.flags.includes('fail'));
      if (!replica) throw new Error(`no live replica of ${master.url}`);
      return byPort(replica.port);
    },
    async moveSlot(slot, to) {
      const from = await cluster.masterOf(slot);
      const ids = await table();
      const idOf = (server: RedisServer): string => ids.find((n) => n.port === server.port)!.id;
      await to.command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', idOf(from));
      await from.command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', idOf(to));
      for (;;) {
        const keys = (await from.command('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
        if (keys.length === 0) break;
        await from.command('MIGRATE', '127.0.0.1', to.port, '', 0, 5_000, 'KEYS', ...keys);
      }
      await to.command('CLUSTER', 'SETSLOT', slot, 'NODE', idOf(to));
      await from.command('CLUSTER', 'SETSLOT', slot, 'NODE', idOf(to));
      for (const master of await cluster.masters()) {
        if (master !== to && master !== from) {
          await master.command('CLUSTER', 'SETSLOT', slot, 'NODE', idOf(to));
        }
      }
      await cluster.waitUntilOk();
    },
    async failover(slot) {
      const killed = await cluster.masterOf(slot);
      const started = Date.now();
      await killed.kill();
      dead.add(killed);
      let promoted: RedisServer | undefined;
      const deadline = Date.now() + 30_000;
      while (!promoted) {
        if (Date.now() > deadline) throw new Error('no replica took over within 30 s');
        await sleep(50);
        const owner = await cluster.masterOf(slot).catch(() => undefined);
        if (owner && owner !== killed) promoted = owner;
      }
      await cluster.waitUntilOk();
      return { killed, promoted, tookMs: Date.now() - started };
    },
    async waitUntilOk() {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const views = await Promise.all(
          live().map(async (n) => ({
            info: String(await n.command('CLUSTER', 'INFO')),
            slots: JSON.stringify(
              parseNodes(String(await n.command('CLUSTER', 'NODES')))
                .filter((l) => l.flags.includes('master') && !l.flags.includes('fail'))
                .map((l) => [l.port, l.slots])
                .sort(),
            ),
          })),
        );
        const ok =
          views.every((v) => v.info.includes('cluster_state:ok')) &&
          new Set(views.map((v) => v.slots)).size === 1;
        if (ok) return;
        if (Date.now() > deadline) throw new Error('the cluster did not become ok within 30 s');
        await sleep(50);
      }
    },
    async stop() {
      for (const client of clients) client.disconnect();
      clients.clear();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
  await cluster.waitUntilOk();
  // Replicas finish their first sync after the cluster is ok: until then WAIT gets no
  // acknowledgement and a failover has nothing to promote.
  const deadline = Date.now() + 30_000;
  for (const master of await cluster.masters()) {
    for (;;) {
      const info = String(await master.command('INFO', 'replication'));
      if (/^slave0:.*state=online/m.test(info)) break;
      if (Date.now() > deadline) throw new Error(`the replica of ${master.url} did not sync`);
      await sleep(50);
    }
  }
  return cluster;
}
