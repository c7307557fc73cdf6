// Issue 13, defect 4: an acquire attempt that failed on the client (ioredis commandTimeout, a
// reply that never came) may still have run on Redis. When the call ends without a grant, the
// engine must release that token (owner-checked), or the lock stays held for its whole ttl by
// nobody, and every instance skips the job it guards. Likewise a place in a fair lock's queue
// taken by an attempt that lands after its call gave up.
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockAbortedError, LockManager } from '../../../lib/core/index.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import { CLIENT_KINDS, connectClient } from '../../support/lock-clients.js';
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
  /**
   * A client through the proxy whose commands time out after 100 ms, once it is connected: a
   * connection made on a busy machine may take longer than that, and the test is not about it.
   */
  async function timingOutClient(): Promise<Redis> {
    const client = server.client({ port: proxy.port });
    await client.ping();
    client.options.commandTimeout = 100;
    return client;
  }

  afterAll(async () => {
    await other.close();
    await proxy.close();
    await server.stop();
    await stopAllRedis();
  });

  it('commandTimeout: the attempt ran on Redis but timed out on the client; the key is released, not kept for its 60 s ttl', async () => {
    const client = await timingOutClient();
    const manager = new LockManager(client);
    try {
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
    const client = await timingOutClient();
    const manager = new LockManager(client);
    try {
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
  // A waiter with a place in a queue: the fair lock's queue, or the writers' queue of a
  // read-write lock (the writer waits for a reader).
  interface Queueing {
    hold(key: string): Promise<{ release(): Promise<void> }>;
    wait(manager: LockManager, key: string, signal: AbortSignal): Promise<unknown>;
    next(key: string): Promise<{ release(): Promise<void> } | null>;
    queue: string;
  }
  const queueings: Array<[string, Queueing]> = [
    [
      'a fair lock',
      {
        hold: (key) => other.acquire(key, { ttl: 60_000 }),
        wait: (manager, key, signal) => manager.acquire(key, { waitTimeout: 10_000, signal }),
        next: (key) => other.tryAcquire(key),
        queue: 'queue',
      },
    ],
    [
      'the write lock of a read-write lock',
      {
        hold: (key) => other.readWriteLock(key).read({ ttl: 60_000 }),
        wait: (manager, key, signal) =>
          manager.readWriteLock(key).write({ waitTimeout: 10_000, signal }),
        next: (key) => other.readWriteLock(key).tryWrite(),
        queue: 'writers',
      },
    ],
  ];

  // On the ioredis family the waiter's leave is its script's first use on the connection, sent
  // as EVAL: it runs at once, before the attempt's EVAL that waited for its NOSCRIPT reply, so
  // only the leave sent again on the late reply takes the place back. On node-redis the leave
  // goes as EVALSHA, meets NOSCRIPT too and runs after the attempt: the outcome must be the same.
  const cases = CLIENT_KINDS.flatMap((kind) =>
    queueings.map(([name, queueing]) => [kind, name, queueing] as const),
  );
  it.each(cases)(
    'SCRIPT FLUSH, %s, %s: the EVAL sent after NOSCRIPT queues a waiter that already gave up; it leaves the queue again, and the next release does not hand the lock to it',
    async (kind, name, { hold, wait, next, queue }) => {
      const key = `report:${queue}:${kind.replace(/\W+/g, '-')}`;
      const made = await connectClient(kind, proxy.port);
      const manager = new LockManager(made.client);
      const held = await hold(key);
      // The queue's name carries a {tag} that pins it to the lock's slot.
      const queued = async (): Promise<number> => {
        const [queueKey] = await direct.keys(`lock:#${queue}:*${key}`);
        return queueKey === undefined ? 0 : direct.zcard(queueKey);
      };
      try {
        // The script is known on this connection: the next attempt goes as EVALSHA.
        const warm = new AbortController();
        await wait(manager, `warm-up:${key}`, warm.signal).then((lock) =>
          (lock as { release(): Promise<void> }).release(),
        );
        // The script cache is emptied behind the connection's back (an operator's SCRIPT FLUSH,
        // a proxy's server switched without a reconnect): the EVALSHA is refused, and the EVAL
        // that follows is sent when the NOSCRIPT reply arrives, 300 ms later, after the caller
        // gave up.
        await direct.script('FLUSH');
        proxy.setLatency({ toClient: { ms: 300 } });
        const controller = new AbortController();
        const waiting = wait(manager, key, controller.signal).catch((error: unknown) => error);
        await sleep(100);
        controller.abort();
        expect(await waiting).toBeInstanceOf(LockAbortedError);
        await until(
          async () => (await queued()) === 1,
          `the late EVAL to queue the waiter of ${name} that gave up`,
          { timeoutMs: 3_000, everyMs: 10 },
        );
        await until(
          async () => (await queued()) === 0,
          'the waiter to leave the queue again once that reply came (it would otherwise keep its place 5 s)',
          { timeoutMs: 2_000, everyMs: 10 },
        );
        proxy.setLatency({});
        await held.release();
        const taken = await next(key);
        expect(taken).not.toBeNull();
        await taken!.release();
      } finally {
        proxy.setLatency({});
        await held.release().catch(() => undefined);
        await manager.close();
        await made.close();
      }
    },
  );
});
