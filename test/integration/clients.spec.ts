import { setTimeout as sleep } from 'node:timers/promises';
import { createSentinel } from 'redis';
import { createSentinel as createSentinel5 } from 'redis5';
import {
  LockBackendError,
  LockManager,
  LockManagerClosedError,
  type LockManagerOptions,
  LockTimeoutError,
} from '../../lib/core/index.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  connectClient,
  connectClusterClient,
  type TestClient,
} from '../support/lock-clients.js';
import { startCluster, type RedisCluster } from '../support/redis-cluster.js';
import { MASTER_NAME, startSentinelGroup } from '../support/redis-sentinel.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';
import { until } from '../support/until.js';

/**
 * What each client adapter must get right beyond the behavioural suite (behaviour.spec.ts):
 * faults injected for real (a server killed, paused, its scripts flushed), Redis's refusals
 * told apart from connection failures, replicas counted with WAIT, a connection closed by its
 * owner, Cluster routing of scripts and sharded pub/sub, and Sentinel, for every library.
 */

// Slow polling: a waiter served in time was woken by the release's announcement.
// No backoff to speak of, and a queued waiter's own look (a third of waiterTtl) far beyond every
// waitTimeout here: a waiter served in time was woken by an announcement (the default lock is
// the fair one, whose grants go to the waiter's manager's own channel).
const NO_POLLING: LockManagerOptions = {
  retry: { minDelay: 30_000, maxDelay: 30_000 },
  waiterTtl: 120_000,
};

describe.each<ClientKind>(CLIENT_KINDS)('%s: faults and refusals on one server', (kind) => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  const made: TestClient[] = [];
  const managers: LockManager[] = [];

  async function manager(options?: LockManagerOptions): Promise<LockManager> {
    const client = await connectClient(kind, server.port);
    made.push(client);
    const created = new LockManager(client.client, options);
    managers.push(created);
    return created;
  }

  beforeEach(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
    await Promise.all(made.splice(0).map((c) => c.close()));
    await stopAllRedis();
    expect(unhandled).toEqual([]);
  });

  it('a killed server is an outage, not contention; after a restart waiters are woken again', async () => {
    const a = await manager();
    const b = await manager(NO_POLLING);
    await server.kill();
    const down = await a.acquire('k', { waitTimeout: 400 }).catch((e: unknown) => e);
    // Never "held by someone else": Redis failed.
    if (down instanceof LockTimeoutError) expect(down.reason).toBe('unavailable');
    else expect(down).toBeInstanceOf(LockBackendError);

    await server.restart();
    const held = await a.acquire('k', { waitTimeout: 15_000 });
    // The subscriber connection came back and subscribed again: the release wakes b.
    const waiting = b.acquire('k', { waitTimeout: 15_000 });
    await sleep(100);
    await held.release();
    const next = await waiting;
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
    await next.release();
  });

  it('a paused server: the attempt waits, then goes on once it resumes', async () => {
    const a = await manager();
    const warm = await a.acquire('p');
    await warm.release();
    server.pause();
    const during = a.acquire('p', { waitTimeout: 20_000 });
    await sleep(300);
    server.resume();
    const lock = await during;
    expect(lock.isHeld).toBe(true);
    await lock.release();
  });

  it('resends its scripts after SCRIPT FLUSH, and a data key under a lock name is a typed refusal', async () => {
    const a = await manager();
    await (await a.acquire('f')).release();
    await server.command('SCRIPT', 'FLUSH');
    const again = await a.acquire('f');
    await again.release();

    await server.command('SET', 'lock:data', 'not a lock');
    const started = Date.now();
    const refused = await a.acquire('data', { waitTimeout: 10_000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockBackendError);
    expect((refused as Error).message).toMatch(/not a lock of this library/);
    // A refusal is not retried until the deadline.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('health names the server and its topology', async () => {
    const a = await manager();
    const health = await a.checkHealth();
    expect(health).toMatchObject({ topology: 'standalone', healthy: true });
    expect(health.nodes).toEqual([
      expect.objectContaining({ up: true, scripts: true, node: `127.0.0.1:${server.port}` }),
    ]);
  });

  it('waitForReplicas: the acquire script and WAIT go out together and count the replica', async () => {
    // Redis waits 5 s for more replicas before a diskless full sync: not here.
    await server.command('CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
    const replica = await startRedis({
      args: ['--replicaof', '127.0.0.1', String(server.port)],
    });
    await until(
      async () =>
        /master_link_status:up/.test(String(await replica.command('INFO', 'replication'))),
      'the replica to sync',
    );
    const a = await manager({ waitForReplicas: { replicas: 1, timeout: 2_000 } });
    const lock = await a.acquire('replicated', { waitTimeout: 10_000 });
    expect(await replica.command('HGET', 'lock:replicated', 't')).toBe(lock.token);
    await lock.release();
    await server.command('SCRIPT', 'FLUSH');
    const again = await a.acquire('replicated', { waitTimeout: 10_000 });
    await again.release();
  });

  it('a client closed by its owner: the manager says so instead of waiting for it', async () => {
    const a = await manager();
    await made[0]!.close();
    const error = await a.acquire('gone', { waitTimeout: 2_000 }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/closed/);
  });

  it('a subscriber connection of the same library, given by the application, is used and kept', async () => {
    const sub = await connectClient(kind, server.port);
    made.push(sub);
    const a = await manager();
    const b = await manager({ ...NO_POLLING, subscriber: sub.client as never });
    const held = await a.acquire('s');
    const waiting = b.acquire('s', { waitTimeout: 10_000 });
    await sleep(50);
    await held.release();
    await (await waiting).release();
    await b.close();
    // Still the application's: it was not closed with the manager.
    const c = await manager({ ...NO_POLLING, subscriber: sub.client as never });
    const again = await c.acquire('s');
    await again.release();
  });

  // Every client queues the UNSUBSCRIBE of a connection that is down until it reconnects:
  // close() must not wait for it.
  it('closing a manager that waits on a borrowed subscriber settles while the server is down', async () => {
    const sub = await connectClient(kind, server.port);
    made.push(sub);
    const a = await manager();
    const b = await manager({ ...NO_POLLING, subscriber: sub.client as never });
    const held = await a.acquire('down');
    const waiting = b.acquire('down', { waitTimeout: 60_000 }).catch((e: unknown) => e);
    const admin = server.client();
    await until(async () => {
      const [, listeners] = (await admin.pubsub('NUMSUB', 'lock:down')) as [string, number];
      return Number(listeners) === 1;
    }, 'the waiter to listen');
    await server.kill();
    const closed = await Promise.race([
      b.close().then(() => 'closed'),
      sleep(10_000).then(() => 'still closing after 10 s'),
    ]);
    expect(closed).toBe('closed');
    expect(await waiting).toBeInstanceOf(LockManagerClosedError);
    await server.restart();
    if (!kind.startsWith('node-redis')) {
      // Back up, an ioredis-family client first subscribes again to what it had (the
      // channel, still), then sends what waited in its queue (the UNSUBSCRIBE): a PING
      // answered after them means both were. ioredis before 6.1 (5.x, 6.0, iovalkey 0.4)
      // leaves that resubscription's promise unhandled, so closing the client while it is in
      // flight (below, after the test) raised "Connection is closed." as an unhandled
      // rejection of its own; the application that lends a subscriber owns that client.
      await (sub.client as unknown as { ping(): Promise<unknown> }).ping();
    }
    expect(held.fencingToken).toBeGreaterThan(0);
  });
});

describe('every library on a Redis Cluster', () => {
  const unhandled = recordUnhandledRejections();
  let cluster: RedisCluster;
  let ports: number[];

  beforeAll(async () => {
    cluster = await startCluster();
    ports = (await cluster.masters()).map((master) => master.port);
  }, 60_000);
  afterAll(async () => {
    await cluster.stop();
    await stopAllRedis();
  });
  afterEach(() => expect(unhandled).toEqual([]));

  it.each<ClientKind>(CLIENT_KINDS)(
    '%s: keys on every master, multi-key locks across slots, sharded wakeups, list and health',
    async (kind) => {
      const clients = [
        await connectClusterClient(kind, ports),
        await connectClusterClient(kind, ports),
      ];
      const prefix = `c-${kind.replace(/\W+/g, '-')}:`;
      const a = new LockManager(clients[0]!.client, { keyPrefix: prefix });
      const b = new LockManager(clients[1]!.client, { keyPrefix: prefix, ...NO_POLLING });
      try {
        // Thirty keys land on every master; each waiter is woken by its key's shard.
        const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
        const held = await Promise.all(keys.map((key) => a.acquire(key)));
        const waiting = Promise.all(keys.map((key) => b.acquire(key, { waitTimeout: 15_000 })));
        await sleep(200);
        await Promise.all(held.map((lock) => lock.release()));
        const next = await waiting;
        expect(next.map((lock, i) => lock.fencingToken > held[i]!.fencingToken)).toEqual(
          keys.map(() => true),
        );
        const listed: string[] = [];
        for await (const info of a.list('k*')) listed.push(info.key);
        expect(listed.sort()).toEqual([...keys].sort());
        await Promise.all(next.map((lock) => lock.release()));

        const transfer = await a.acquire(['account:1', 'account:2', 'account:3']);
        expect(await b.tryAcquire('account:2')).toBeNull();
        await transfer.release();
        const permit = await a.semaphore('pool', { permits: 1 }).acquire();
        expect(await b.semaphore('pool', { permits: 1 }).tryAcquire()).toBeNull();
        await permit.release();

        const health = await a.checkHealth();
        expect(health).toMatchObject({ topology: 'cluster', healthy: true });
        expect(health.nodes.map((node) => node.node).sort()).toEqual(
          ports.map((port) => `127.0.0.1:${port}`).sort(),
        );
      } finally {
        await a.close();
        await b.close();
        await Promise.all(clients.map((c) => c.close()));
      }
    },
  );
});

describe('node-redis under Sentinel (createSentinel)', () => {
  // node-redis 5's Sentinel client cannot be duplicated: the wakeups use its own pub/sub client.
  it.each([
    ['node-redis 6', createSentinel],
    ['node-redis 5', createSentinel5 as unknown as typeof createSentinel],
  ])(
    '%s: locks on the master the Sentinels name, wakes waiters, and reports the topology',
    async (_, create) => {
      const group = await startSentinelGroup();
      const open = () =>
        create({
          name: MASTER_NAME,
          sentinelRootNodes: group.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        }).on('error', () => undefined);
      const clients = [open(), open()];
      await Promise.all(clients.map((c) => c.connect()));
      const a = new LockManager(clients[0]!);
      const b = new LockManager(clients[1]!, NO_POLLING);
      try {
        const held = await a.acquire('sentinel');
        const waiting = b.acquire('sentinel', { waitTimeout: 10_000 });
        await sleep(100);
        await held.release();
        const next = await waiting;
        expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
        expect(await group.master.command('HGET', 'lock:sentinel', 't')).toBe(next.token);
        await next.release();
        expect(await a.checkHealth()).toMatchObject({ topology: 'sentinel', healthy: true });
      } finally {
        await a.close();
        await b.close();
        await Promise.all(clients.map((c) => c.close()));
        await group.stop();
        await stopAllRedis();
      }
    },
    60_000,
  );
});
