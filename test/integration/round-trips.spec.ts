import type { RedisOptions } from 'ioredis';
import { LockManager } from '../../lib/core/index.js';
import { type ClientKind, connectClient } from '../support/lock-clients.js';
import { countByName, monitorCommands } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';
import { until } from '../support/until.js';

describe('round trips per operation (MONITOR, without the commands scripts run inside Redis)', () => {
  const db = useRedisServer();
  let manager: LockManager;

  beforeAll(async () => {
    manager = db.manager();
    // Warm the connection: the first use of each script on a socket is an EVAL.
    const warm = await manager.acquire('warm-up');
    await warm.extend();
    await manager.inspect('warm-up');
    await warm.release();
    await manager.forceRelease('warm-up');
  });

  async function countCalls(operation: () => Promise<unknown>): Promise<Record<string, number>> {
    return countByName(await monitorCommands(db.server, operation));
  }

  it('acquires a free lock with one EVALSHA', async () => {
    let lock: Awaited<ReturnType<LockManager['acquire']>> | undefined;
    expect(await countCalls(async () => (lock = await manager.acquire('rt:1')))).toEqual({
      evalsha: 1,
    });
    expect(await countCalls(() => lock!.extend(5_000))).toEqual({ evalsha: 1 });
    expect(await countCalls(() => lock!.release())).toEqual({ evalsha: 1 });
  });

  it('tryAcquire on a held lock costs one EVALSHA and no subscription', async () => {
    const holder = await manager.acquire('rt:held');
    expect(await countCalls(() => manager.tryAcquire('rt:held'))).toEqual({ evalsha: 1 });
    await holder.release();
  });

  it('inspect and forceRelease are one round trip each', async () => {
    const lock = await manager.acquire('rt:ops');
    expect(await countCalls(() => manager.inspect('rt:ops'))).toEqual({ evalsha: 1 });
    expect(await countCalls(() => manager.forceRelease('rt:ops'))).toEqual({ evalsha: 1 });
    await lock.release().catch(() => undefined);
  });

  it('re-sends the script as EVAL once after SCRIPT FLUSH, then EVALSHA again', async () => {
    await db.server.command('SCRIPT', 'FLUSH');
    const first = await countCalls(async () => (await manager.acquire('rt:flushed')).release());
    // NOSCRIPT on EVALSHA, then EVAL, for each of the two scripts.
    expect(first).toEqual({ evalsha: 2, eval: 2 });
    const warm = await countCalls(async () => (await manager.acquire('rt:flushed')).release());
    expect(warm).toEqual({ evalsha: 2 });
  });

  it('after the server restarted, sends each script in full once on the new connection, with no refused EVALSHA first', async () => {
    // A refused EVALSHA costs a round trip, and the EVAL that follows it could land after its
    // caller gave up on the attempt: the new connection gets the script itself at once.
    await db.server.restart();
    await until(async () => db.redis.status === 'ready', 'the client to reconnect');
    const first = await countCalls(async () => (await manager.acquire('rt:restarted')).release());
    expect(first).toEqual({ eval: 2 });
    const warm = await countCalls(async () => (await manager.acquire('rt:restarted')).release());
    expect(warm).toEqual({ evalsha: 2 });
  });
});

// Script calls are built as commands of the client's own class where the client allows it; a key
// prefix, auto-pipelining and friendly error stacks are the client methods' work, so with those
// the calls go through the methods. Either way: the same commands, keys and exclusion.
describe.each<[string, RedisOptions]>([
  ['no options', {}],
  ['keyPrefix', { keyPrefix: 'app:' }],
  ['enableAutoPipelining', { enableAutoPipelining: true }],
  ['showFriendlyErrorStack', { showFriendlyErrorStack: true }],
])('ioredis client with %s: script calls', (_name, options) => {
  const db = useRedisServer();
  let manager: LockManager;
  let rival: LockManager;

  beforeAll(async () => {
    manager = new LockManager(db.server.client(options));
    rival = new LockManager(db.server.client(options));
    // The first use of each script on a connection is an EVAL.
    for (const warming of [manager, rival]) {
      const warm = await warming.acquire('opt:warm-up');
      await warm.extend();
      await warm.release();
    }
  });
  afterAll(async () => {
    await manager.close();
    await rival.close();
  });

  it('acquire, extend and release are one EVALSHA each, on the prefixed key, and exclude a rival', async () => {
    const prefix = options.keyPrefix ?? '';
    let lock: Awaited<ReturnType<LockManager['acquire']>> | undefined;
    const sent = await monitorCommands(db.server, async () => {
      lock = await manager.acquire('opt:k', { ttl: 5_000 });
    });
    expect(countByName(sent)).toEqual({ evalsha: 1 });
    expect(sent[0]).toEqual(expect.arrayContaining([`${prefix}lock:opt:k`]));
    expect(await db.redis.exists(`${prefix}lock:opt:k`)).toBe(1);
    expect(await rival.tryAcquire('opt:k')).toBeNull();
    expect(countByName(await monitorCommands(db.server, () => lock!.extend(8_000)))).toEqual({
      evalsha: 1,
    });
    expect(await db.redis.pttl(`${prefix}lock:opt:k`)).toBeGreaterThan(5_000);
    expect(countByName(await monitorCommands(db.server, () => lock!.release()))).toEqual({
      evalsha: 1,
    });
    expect(await db.redis.exists(`${prefix}lock:opt:k`)).toBe(0);
    const next = await rival.tryAcquire('opt:k');
    expect(next?.fencingToken).toBeGreaterThan(lock!.fencingToken);
    await next?.release();
  });

  it('after SCRIPT FLUSH the refused EVALSHA is followed by EVAL, and the lock is taken', async () => {
    await db.server.command('SCRIPT', 'FLUSH');
    let lock: Awaited<ReturnType<LockManager['acquire']>> | undefined;
    const sent = await monitorCommands(db.server, async () => {
      lock = await manager.acquire('opt:flushed');
      await lock.release();
    });
    // NOSCRIPT on EVALSHA, then EVAL, for each of the two scripts.
    expect(countByName(sent)).toEqual({ evalsha: 2, eval: 2 });
    expect(lock!.fencingToken).toBeGreaterThan(0);
    expect(await db.redis.exists(`${options.keyPrefix ?? ''}lock:opt:flushed`)).toBe(0);
  });
});

// The cheaper path is found on every ioredis-family library: a script call goes out without the
// client's `evalsha`/`eval` methods (whose Command constructor flattens the arguments).
describe.each<ClientKind>(['ioredis 6', 'ioredis 5', 'iovalkey'])(
  '%s: script calls built as commands of the client',
  (kind) => {
    const db = useRedisServer();

    it('acquire and release go out without the client methods, as EVALSHA once warm', async () => {
      const made = await connectClient(kind, db.server.port);
      const client = made.client as unknown as Record<'evalsha' | 'eval', () => unknown>;
      const manager = new LockManager(made.client as never);
      try {
        const evalsha = jest.spyOn(client, 'evalsha');
        const evaluate = jest.spyOn(client, 'eval');
        await (await manager.acquire('direct')).release();
        const sent = await monitorCommands(db.server, async () =>
          (await manager.acquire('direct')).release(),
        );
        expect(countByName(sent)).toEqual({ evalsha: 2 });
        expect({ evalsha: evalsha.mock.calls.length, eval: evaluate.mock.calls.length }).toEqual({
          evalsha: 0,
          eval: 0,
        });
      } finally {
        await manager.close();
        await made.close();
      }
    });

    it('the script calls of one turn leave in one socket write per 16, not one each', async () => {
      const made = await connectClient(kind, db.server.port);
      const manager = new LockManager(made.client as never);
      try {
        await (await manager.acquire('batch:warm')).release();
        // What the socket hands to the kernel: a write, or several gathered (writev).
        const socket = (made.client as unknown as { stream: Record<string, unknown> }).stream;
        let writes = 0;
        for (const method of ['_write', '_writev'] as const) {
          const original = socket[method] as ((...args: unknown[]) => unknown) | undefined;
          if (!original) continue;
          socket[method] = function counted(this: unknown, ...args: unknown[]) {
            writes++;
            return original.apply(this, args);
          };
        }
        const locks = await Promise.all(
          Array.from({ length: 32 }, (_, i) => manager.acquire(`batch:${i}`)),
        );
        const acquireWrites = writes;
        await Promise.all(locks.map((lock) => lock.release()));
        // 32 commands each way: two batches of 16 (one system call each), where every command
        // was a system call of its own before.
        expect({ acquire: acquireWrites, release: writes - acquireWrites }).toEqual({
          acquire: 2,
          release: 2,
        });
        expect(locks.map((lock) => lock.isHeld)).toEqual(Array(32).fill(false));
      } finally {
        await manager.close();
        await made.close();
      }
    });
  },
);
