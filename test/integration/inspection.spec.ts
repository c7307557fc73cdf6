import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import {
  InvalidLockOptionsError,
  type HeldLockInfo,
  LockBackendError,
  LockManager,
  LockQuorumError,
} from '../../lib/core/index.js';
import { ACQUIRE_SCRIPT } from '../../lib/core/redis/plain/acquire.script.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { fenceKey } from '../support/key-names.js';
import { startCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';
import { until } from '../support/until.js';
import { useRedisServer } from '../support/suites.js';

const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE_SCRIPT).digest('hex');

async function all(listing: AsyncIterable<HeldLockInfo>): Promise<HeldLockInfo[]> {
  const found: HeldLockInfo[] = [];
  for await (const lock of listing) found.push(lock);
  return found.sort((a, b) => a.key.localeCompare(b.key));
}

const keysOf = (locks: readonly HeldLockInfo[]): string[] => locks.map((l) => l.key);

describe('LockManager.list() and checkHealth() on a single Redis', () => {
  const db = useRedisServer();
  let manager: LockManager;
  let other: LockManager;

  beforeEach(async () => {
    await db.redis.flushall();
    manager = db.manager({ owner: 'web-1:100' });
    other = db.manager({ owner: 'worker-7:200' });
  });

  it('lists every held lock with its ttl, fencing token and owner, and nothing else', async () => {
    const a = await manager.acquire('order:1', { ttl: 20_000 });
    const b = await other.acquire('order:2', { ttl: 5_000 });
    const c = await manager.acquire(['account:1', 'account:2']);
    // Not locks: a data key and a hash under the prefix, another prefix, bookkeeping keys.
    await db.redis.set('lock:data', 'x');
    await db.redis.hset('lock:not-a-lock', 'field', 'value');
    await db.redis.hset('other:order:3', 't', 'token', 'f', '1', 'o', 'x');
    expect(await db.redis.exists(fenceKey('order:1'))).toBe(1);

    const locks = await all(manager.list());
    expect(keysOf(locks)).toEqual(['account:1', 'account:2', 'order:1', 'order:2']);
    const [account1, , order1, order2] = locks;
    expect(order1).toEqual({
      key: 'order:1',
      held: true,
      ttl: expect.any(Number),
      fencingToken: a.fencingToken,
      owner: 'web-1:100',
    });
    expect(order1!.ttl).toBeGreaterThan(19_000);
    expect(order1!.ttl).toBeLessThanOrEqual(20_000);
    expect(order2).toMatchObject({ fencingToken: b.fencingToken, owner: 'worker-7:200' });
    expect(order2!.ttl).toBeLessThanOrEqual(5_000);
    expect(account1!.fencingToken).toBe(c.fencingToken);

    await b.release();
    expect(keysOf(await all(manager.list()))).toEqual(['account:1', 'account:2', 'order:1']);
  });

  it('filters with a glob over keys without the prefix, whatever the page size', async () => {
    for (let i = 0; i < 30; i++) await manager.acquire(`job:${i}`);
    await manager.acquire('order:1');
    const jobs = await all(manager.list({ match: 'job:*', count: 7 }));
    expect(jobs).toHaveLength(30);
    expect(new Set(keysOf(jobs)).size).toBe(30);
    expect(keysOf(await all(manager.list({ match: 'job:1?' })))).toEqual(
      Array.from({ length: 10 }, (_, i) => `job:1${i}`).sort(),
    );
    expect(await all(manager.list({ match: 'nothing:*' }))).toEqual([]);
  });

  it('escapes glob characters of the key prefix and honours the client’s own ioredis prefix', async () => {
    const prefixed = db.server.client({ keyPrefix: 'app:' });
    const odd = new LockManager(prefixed, { keyPrefix: 'locks[eu]:' });
    try {
      await odd.acquire('order:1');
      await db.redis.hset('app:locksE:order:2', 't', 'x', 'f', '1');
      expect(await db.redis.exists('app:locks[eu]:order:1')).toBe(1);
      expect(keysOf(await all(odd.list()))).toEqual(['order:1']);
    } finally {
      await odd.close();
      prefixed.disconnect();
    }
  });

  it('stops scanning when the caller stops iterating', async () => {
    for (let i = 0; i < 50; i++) await manager.acquire(`many:${i}`);
    const first: string[] = [];
    for await (const lock of manager.list({ count: 10 })) {
      first.push(lock.key);
      if (first.length === 3) break;
    }
    expect(first).toHaveLength(3);
  });

  it('forceRelease with a fencing token removes that holder only, never the next one', async () => {
    const first = await manager.acquire('stuck:1');
    const seen = await manager.inspect('stuck:1');
    expect(seen.fencingToken).toBe(first.fencingToken);
    // Meanwhile the lock changes hands: the operator's release must not hit the new holder.
    await other.forceRelease('stuck:1');
    const second = await other.acquire('stuck:1');
    expect(await manager.forceRelease('stuck:1', { fencingToken: seen.fencingToken! })).toBe(false);
    expect((await manager.inspect('stuck:1')).fencingToken).toBe(second.fencingToken);
    expect(await manager.forceRelease('stuck:1', { fencingToken: second.fencingToken })).toBe(true);
    expect((await manager.inspect('stuck:1')).held).toBe(false);
    expect(await manager.forceRelease('stuck:1', { fencingToken: second.fencingToken })).toBe(
      false,
    );
    for (const bad of [{ fencingToken: 0 }, { fencingToken: '1' }, { token: 1 }, 5]) {
      await expect(manager.forceRelease('stuck:1', bad as never)).rejects.toBeInstanceOf(
        InvalidLockOptionsError,
      );
    }
  });

  it('refuses bad options before any Redis call', () => {
    const refused = (options: unknown): unknown => {
      try {
        manager.list(options as never);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const options of [
      { match: '' },
      { match: 3 },
      { match: '#fence' },
      { count: 0 },
      { count: 1.5 },
      { count: '10' },
      { pattern: 'x' },
      42,
    ]) {
      expect(refused(options)).toBeInstanceOf(InvalidLockOptionsError);
    }
    // The glob first, then the page options: checked the same way.
    expect(() => manager.list('', { count: 10 })).toThrow(InvalidLockOptionsError);
    expect(() => manager.list('order:*', { count: 0 })).toThrow(/count must be a whole number/);
    expect(() => manager.list('order:*', { match: 'x' } as never)).toThrow(
      /Unknown list\(\) option "match"/,
    );
    expect(() => manager.checkHealth({ timeout: 0 })).toThrow(InvalidLockOptionsError);
    expect(() => manager.checkHealth({ timeout: '100' as never })).toThrow(/timeout/);
  });

  it('reports a healthy server with its round trip and loaded scripts', async () => {
    await db.redis.script('FLUSH');
    const health = await manager.checkHealth();
    expect(health).toEqual({
      topology: 'standalone',
      healthy: true,
      nodes: [
        {
          node: `127.0.0.1:${db.server.port}`,
          up: true,
          roundTripMs: expect.any(Number),
          scripts: true,
        },
      ],
    });
    // SCRIPT LOAD put the acquire script back into the flushed cache.
    const [loaded] = (await db.redis.script('EXISTS', ACQUIRE_SHA)) as number[];
    expect(loaded).toBe(1);
  });

  it("measures its PING's round trip: the network's delay both ways, within the whole call", async () => {
    const proxy = await startFaultProxy({ targetPort: db.server.port });
    const client = db.server.client({ port: proxy.port });
    const probed = new LockManager(client);
    try {
      expect((await probed.checkHealth()).healthy).toBe(true);
      const oneWayMs = 40;
      proxy.setLatency({ toServer: { ms: oneWayMs }, toClient: { ms: oneWayMs } });
      const startedAt = performance.now();
      const health = await probed.checkHealth({ timeout: 5_000 });
      const callMs = performance.now() - startedAt;
      expect(health.healthy).toBe(true);
      const { roundTripMs } = health.nodes[0]!;
      // The proxy holds each frame at least oneWayMs (timers may fire up to 1 ms early by the
      // high-resolution clock); the PING is one part of the call, and is rounded to 0.01 ms.
      expect(roundTripMs).toBeGreaterThanOrEqual(2 * oneWayMs - 2);
      expect(roundTripMs).toBeLessThanOrEqual(callMs + 0.01);
    } finally {
      await probed.close();
      client.disconnect();
      await proxy.close();
    }
  });

  it('reports a frozen server after the timeout and a dead one at once, then recovers', async () => {
    const own = await startRedis();
    const client = own.client();
    const probed = new LockManager(client);
    try {
      expect((await probed.checkHealth()).healthy).toBe(true);

      own.pause();
      let started = Date.now();
      const frozen = await probed.checkHealth({ timeout: 150 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(frozen.healthy).toBe(false);
      expect(frozen.nodes[0]).toMatchObject({ up: false, roundTripMs: null, scripts: false });
      expect(frozen.error).toBe(`Redis 127.0.0.1:${own.port}: no answer to PING within 150 ms.`);
      own.resume();

      await own.kill();
      await until(() => client.status === 'reconnecting', 'the client to see the server gone');
      started = Date.now();
      const dead = await probed.checkHealth({ timeout: 5_000 });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(dead.healthy).toBe(false);
      expect(dead.error).toMatch(
        /^Redis 127\.0\.0\.1:\d+: not connected \(ioredis connection status "reconnecting"\)\.$/,
      );

      await own.restart();
      await until(() => client.status === 'ready', 'the client to reconnect');
      expect((await probed.checkHealth()).healthy).toBe(true);
    } finally {
      await probed.close();
      client.disconnect();
      await own.stop();
    }
  });

  it('reports scripting refused by an ACL', async () => {
    await db.redis.acl('SETUSER', 'noscript', 'on', '>pw', '~*', '+@all', '-script');
    const limited = db.server.client({ username: 'noscript', password: 'pw' });
    const probed = new LockManager(limited);
    try {
      const health = await probed.checkHealth();
      expect(health.healthy).toBe(false);
      expect(health.nodes[0]).toMatchObject({ up: false, scripts: false });
      expect(health.nodes[0]!.roundTripMs).toEqual(expect.any(Number));
      expect(health.error).toMatch(/cannot load the lock scripts: NOPERM/);
    } finally {
      await probed.close();
      limited.disconnect();
      await db.redis.acl('DELUSER', 'noscript');
    }
  });

  it('wraps a Redis failure during the listing in LockBackendError', async () => {
    const own = await startRedis();
    const client = own.client({ maxRetriesPerRequest: 0, retryStrategy: () => null });
    const probed = new LockManager(client);
    try {
      await probed.acquire('x');
      await own.kill();
      await expect(all(probed.list())).rejects.toBeInstanceOf(LockBackendError);
      await expect(all(probed.list())).rejects.toMatchObject({ operation: 'list', key: '*' });
    } finally {
      await probed.close();
      if (client.status !== 'end') client.disconnect();
      await own.stop();
    }
  });
});

describe('list() and checkHealth() on a Redlock quorum of 3', () => {
  let masters: RedisServer[];
  let clients: Redis[];
  let manager: LockManager;

  beforeAll(async () => {
    masters = await Promise.all(Array.from({ length: 3 }, () => startRedis()));
    clients = masters.map((m) => m.client({ maxRetriesPerRequest: 1 }));
    manager = new LockManager(clients, { nodeTimeout: 100, owner: 'q' });
  });
  afterAll(async () => {
    await manager.close();
    for (const client of clients) client.disconnect();
    await stopAllRedis();
  });

  it('lists a lock held by a majority, not a key left on a minority', async () => {
    const lock = await manager.acquire('order:1');
    // A leftover of a failed acquire on one master only.
    await masters[0]!.command('HSET', 'lock:order:9', 't', 'stale', 'f', '5', 'o', 'old');
    await masters[0]!.command('PEXPIRE', 'lock:order:9', 60_000);
    const locks = await all(manager.list());
    expect(locks).toEqual([
      {
        key: 'order:1',
        held: true,
        ttl: expect.any(Number),
        fencingToken: lock.fencingToken,
        owner: 'q',
      },
    ]);
    await lock.release();
  });

  it('forceRelease with a fencing token on every master', async () => {
    const lock = await manager.acquire('order:3');
    expect(await manager.forceRelease('order:3', { fencingToken: lock.fencingToken + 1 })).toBe(
      false,
    );
    expect((await manager.inspect('order:3')).held).toBe(true);
    expect(await manager.forceRelease('order:3', { fencingToken: lock.fencingToken })).toBe(true);
    for (const master of masters) expect(await master.command('EXISTS', 'lock:order:3')).toBe(0);
  });

  it('reports each master, and whether a quorum is possible', async () => {
    const healthy = await manager.checkHealth();
    expect(healthy).toMatchObject({
      topology: 'quorum',
      healthy: true,
      quorum: { masters: 3, needed: 2, answering: 3, possible: true },
    });
    expect(healthy.nodes.map((n) => n.node)).toEqual(masters.map((m) => `127.0.0.1:${m.port}`));

    const held = await manager.acquire('order:2');
    masters[2]!.pause();
    try {
      const degraded = await manager.checkHealth({ timeout: 200 });
      expect(degraded.healthy).toBe(true);
      expect(degraded.quorum).toEqual({ masters: 3, needed: 2, answering: 2, possible: true });
      expect(degraded.nodes[2]).toMatchObject({
        up: false,
        error: 'no answer to PING within 200 ms',
      });
      // Listing still works with a majority; the frozen master costs one page timeout.
      expect(keysOf(await all(manager.list()))).toEqual(['order:2']);

      masters[1]!.pause();
      const lost = await manager.checkHealth({ timeout: 200 });
      expect(lost.healthy).toBe(false);
      expect(lost.quorum).toEqual({ masters: 3, needed: 2, answering: 1, possible: false });
      expect(lost.error).toContain('1 of 3 Redis masters can take locks; a quorum needs 2.');
      expect(lost.error).toContain(
        `127.0.0.1:${masters[1]!.port}: no answer to PING within 200 ms`,
      );
      await expect(all(manager.list())).rejects.toBeInstanceOf(LockQuorumError);
    } finally {
      masters[1]!.resume();
      masters[2]!.resume();
    }
    await held.release();
  });
});

describe('list() and checkHealth() on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let manager: LockManager;

  beforeAll(async () => {
    cluster = await startCluster();
    client = cluster.client();
    manager = new LockManager(client, { owner: 'c' });
  });
  afterAll(async () => {
    await manager.close();
    client.disconnect();
    await cluster.stop();
  });

  it('lists the locks of every master', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `item:${i}`);
    const locks = await Promise.all(keys.map((key) => manager.acquire(key)));
    const slots = await Promise.all(keys.map((k) => client.cluster('KEYSLOT', `lock:${k}`)));
    const owners = new Set(
      await Promise.all(slots.map(async (slot) => (await cluster.masterOf(Number(slot))).port)),
    );
    expect(owners.size).toBe(3);

    const listed = await all(manager.list({ match: 'item:*', count: 5 }));
    expect(keysOf(listed)).toEqual([...keys].sort());
    const byKey = new Map(listed.map((l) => [l.key, l]));
    for (const lock of locks) expect(byKey.get(lock.key)!.fencingToken).toBe(lock.fencingToken);
    await Promise.all(locks.map((l) => l.release()));
    expect(await all(manager.list({ match: 'item:*' }))).toEqual([]);
  });

  it('the command line lists and releases on a Cluster too (--cluster)', async () => {
    const locks = await Promise.all(['a', 'b', 'c', 'd'].map((k) => manager.acquire(`cli:${k}`)));
    const seed = ['--cluster', '--url', cluster.nodes[0]!.url, '--url', cluster.nodes[1]!.url];
    const listed = await runCli(['list', 'cli:*', '--json', ...seed]);
    expect(listed.code).toBe(0);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { key: string }).key)
        .sort(),
    ).toEqual(['cli:a', 'cli:b', 'cli:c', 'cli:d']);
    const released = await runCli(['release', 'cli:c', '--yes', ...seed]);
    expect(released.stdout).toBe(
      `Released lock "cli:c" (fencing token ${locks[2]!.fencingToken}).\n`,
    );
    expect((await manager.inspect('cli:c')).held).toBe(false);
    await Promise.all([locks[0], locks[1], locks[3]].map((l) => l!.release()));
  });

  it('probes every master', async () => {
    const health = await manager.checkHealth();
    const masters = await cluster.masters();
    expect(health.topology).toBe('cluster');
    expect(health.healthy).toBe(true);
    expect(health.nodes.map((n) => n.node).sort()).toEqual(
      masters.map((m) => `127.0.0.1:${m.port}`).sort(),
    );
    expect(health.nodes.every((n) => n.up && n.scripts)).toBe(true);
  });
});

/** The compiled command (see cli.spec.ts for the command line's own tests). */
function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  const cli = join(__dirname, '..', '..', 'dist', 'cjs', 'cli', 'main.js');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, ...args], { timeout: 20_000 }, (error, stdout) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? Number(error.code) : 0, stdout });
    });
  });
}
