// Issue 13, defect 4: an acquire attempt that failed on the client (ioredis commandTimeout, a
// reply that never came) may still have run on Redis. When the call ends without a grant, the
// engine must release that token (owner-checked), or the lock stays held for its whole ttl by
// nobody, and every instance skips the job it guards.
import type { Redis } from 'ioredis';
import { LockManager } from '../../../lib/core/index.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import { type RedisServer, startRedis, stopAllRedis } from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';
import { until } from '../../support/until.js';

describe('an acquire that fails on the client leaves no lock behind in Redis', () => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  let proxy: FaultProxy;
  let direct: Redis;
  let other: LockManager;

  beforeAll(async () => {
    server = await startRedis();
    proxy = await startFaultProxy({ targetPort: server.port });
    direct = server.client();
    other = new LockManager(direct);
  });
  afterEach(() => {
    proxy.setLatency({});
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    await other.close();
    await proxy.close();
    await server.stop();
    await stopAllRedis();
  });

  it('commandTimeout: the attempt ran on Redis but timed out on the client; the key is released, not kept for its 60 s ttl', async () => {
    const client = server.client({ port: proxy.port, commandTimeout: 100 });
    const manager = new LockManager(client);
    try {
      await client.ping();
      // Commands arrive at once and run; their replies come back after the client gave up.
      proxy.setLatency({ toClient: { ms: 400 } });
      const failure = await manager.acquire('cron:nightly', { ttl: 60_000, waitTimeout: 300 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      proxy.setLatency({});
      await until(
        async () => (await direct.exists('lock:cron:nightly')) === 0,
        'the lock taken by the failed acquire to be released (it would otherwise live 60 s)',
        { timeoutMs: 5_000, everyMs: 20 },
      );
      // The next run of the job is not skipped.
      const next = await other.tryAcquire('cron:nightly');
      expect(next).not.toBeNull();
      await next!.release();
    } finally {
      await manager.close();
      client.disconnect();
    }
  });

  it('tryAcquire with commandTimeout: same', async () => {
    const client = server.client({ port: proxy.port, commandTimeout: 100 });
    const manager = new LockManager(client);
    try {
      await client.ping();
      proxy.setLatency({ toClient: { ms: 400 } });
      await expect(manager.tryAcquire('cron:hourly', { ttl: 60_000 })).rejects.toBeInstanceOf(
        Error,
      );
      proxy.setLatency({});
      await until(
        async () => (await direct.exists('lock:cron:hourly')) === 0,
        'the lock taken by the failed tryAcquire to be released',
        { timeoutMs: 5_000, everyMs: 20 },
      );
    } finally {
      await manager.close();
      client.disconnect();
    }
  });
});
