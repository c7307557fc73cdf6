// A release leaves a short-lived mark so that a copy of it sent again after a reconnect answers
// "released" (see lost-release-reply.spec.ts). Only ioredis (unless told not to) and node-redis's
// Sentinel client send a command again; node-redis on one server or a Cluster rejects a command
// whose connection failed. Without a resend a mark is never read: it is not written either.
import { Cluster, Redis } from 'ioredis';
import { type Lease, LockBackendError, LockManager } from '../../lib/core/index.js';
import { toLockConnection } from '../../lib/core/redis/connection/to-lock-connection.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type TestClient, connectClient } from '../support/lock-clients.js';
import { type RedisServer, startRedis, stopAllRedis } from '../support/redis-server.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';

const KINDS: Record<string, (manager: LockManager, key: string) => Promise<Lease>> = {
  'plain lock': (m, key) => m.acquire(key),
  'multi-key lock': (m, key) => m.acquire([`${key}:a`, `${key}:b`]),
  'fair lock': (m, key) => m.acquire(key, { fair: true }),
  'read lock': (m, key) => m.readWriteLock(key).read(),
  'write lock': (m, key) => m.readWriteLock(key).write(),
  'semaphore permit': (m, key) => m.semaphore(key, { permits: 2 }).acquire(),
};

const SCRIPTS = new Set(['evalsha', 'eval']);
const isScript = (command: readonly string[]): boolean => SCRIPTS.has(command[0]!.toLowerCase());

describe('the release mark is written only for a client that can send a release twice', () => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  let direct: Redis;
  const clients: TestClient[] = [];
  const managers: LockManager[] = [];

  beforeAll(async () => {
    server = await startRedis();
    direct = server.client();
  });
  afterAll(async () => {
    await Promise.all(managers.map((m) => m.close()));
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
    await stopAllRedis();
  });
  afterEach(() => expect(unhandled).toEqual([]));

  const marks = async (): Promise<string[]> => direct.keys('*#released:*');

  const managerOf = async (
    kind: 'ioredis 6' | 'ioredis 6, autoResendUnfulfilledCommands: false' | 'node-redis 6 (RESP3)',
    port = server.port,
  ): Promise<LockManager> => {
    let manager: LockManager;
    if (kind === 'ioredis 6, autoResendUnfulfilledCommands: false') {
      manager = new LockManager(server.client({ port, autoResendUnfulfilledCommands: false }));
    } else {
      const client = await connectClient(kind, port);
      clients.push(client);
      manager = new LockManager(client.client);
    }
    managers.push(manager);
    return manager;
  };

  describe.each([
    ['ioredis 6', 1],
    ['ioredis 6, autoResendUnfulfilledCommands: false', 0],
    ['node-redis 6 (RESP3)', 0],
  ] as const)('%s', (client, expected) => {
    it.each(Object.keys(KINDS))(`%s: ${expected} mark per release`, async (kind) => {
      const manager = await managerOf(client);
      await direct.flushall();
      const lease = await KINDS[kind]!(manager, `mark:${kind.replace(/ /g, '-')}`);
      await lease.release();
      expect(await marks()).toHaveLength(expected);
    });
  });

  // What makes the mark needless there: a release whose reply is lost is never run again. The
  // caller hears that Redis did not confirm it (not that the lock was lost), and the lock is free.
  // (ioredis with autoResendUnfulfilledCommands false never settles the command at all.)
  describe.each([
    'ioredis 6, autoResendUnfulfilledCommands: false',
    'node-redis 6 (RESP3)',
  ] as const)('%s, a release whose reply is lost', (client) => {
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await startFaultProxy({ targetPort: server.port });
    });
    afterAll(() => proxy.close());

    it('is sent once, reported unconfirmed, and the lock is free', async () => {
      const manager = await managerOf(client, proxy.port);
      const other = await managerOf('ioredis 6');
      await direct.flushall();
      // ioredis told not to resend leaves such a command unanswered for good; the engine
      // stops waiting for a release's reply when the lock's validity ends: a short ttl.
      const lease = await manager.acquire('mark:dropped', { ttl: 1_500 });
      const sent: string[][] = [];
      // monitor() opens a connection of its own, closed below.
      const monitor = await direct.monitor();
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (isScript(args)) sent.push(args);
      });
      try {
        const dropped = proxy.dropReply(isScript);
        const outcome = await lease.release().then(
          () => 'released',
          (error: unknown) => error,
        );
        expect((await dropped)?.[0]?.toLowerCase()).toMatch(/^eval/);
        expect(outcome).toBeInstanceOf(LockBackendError);
        expect((outcome as Error).message).toMatch(/did not confirm the release/);
        const next = await other.tryAcquire('mark:dropped');
        expect(next).not.toBeNull();
        await next!.release();
        // A copy sent again would go out on the client's next connection before anything else:
        // once a lock taken through that client came back, it would have been seen.
        const probe = await manager.acquire('mark:probe', { waitTimeout: 5_000 });
        await probe.release();
        const releases = sent.filter((args) => args.includes(lease.token));
        expect(releases).toHaveLength(1);
      } finally {
        monitor.disconnect();
      }
    });
  });

  // An ioredis Cluster retries a command whose node connection closed after it was written
  // (retryDelayOnFailover), on whatever its nodes were told: its releases keep the mark.
  it('an ioredis Cluster keeps the mark whatever its nodes are told', () => {
    const nodes = [{ host: '127.0.0.1', port: server.port }];
    const cluster = new Cluster(nodes, {
      lazyConnect: true,
      redisOptions: { autoResendUnfulfilledCommands: false },
    });
    const single = server.client({ lazyConnect: true, autoResendUnfulfilledCommands: false });
    expect(toLockConnection(cluster)?.resendsUnanswered).toBe(true);
    expect(toLockConnection(single)?.resendsUnanswered).toBe(false);
    cluster.disconnect();
  });
});
