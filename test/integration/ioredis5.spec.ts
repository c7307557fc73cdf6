import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
// The same engine on the other supported major of the peer dependency.
import { Redis as Redis5 } from 'ioredis5';
import { LockLostError, LockManager, type LockClient } from '../../lib/core/index.js';
import {
  countByName,
  monitorCommands,
  startRedis,
  stopAllRedis,
  type RedisServer,
} from '../support/redis-server.js';

describe('ioredis 5', () => {
  let server: RedisServer;
  let clients: Redis5[];

  function client(): LockClient {
    const redis = new Redis5({ host: '127.0.0.1', port: server.port });
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis as unknown as LockClient;
  }

  beforeAll(async () => {
    server = await startRedis();
    clients = [];
  });
  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    await stopAllRedis();
  });

  it('runs the package against ioredis 5', () => {
    const version = (name: string): string =>
      JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
    expect(version('ioredis5')).toMatch(/^5\./);
    expect(version('ioredis')).toMatch(/^6\./);
  });

  it('acquires, waits for a release, renews and releases with one round trip each', async () => {
    const holder = new LockManager(client());
    const waiter = new LockManager(client(), { retry: { minDelay: 60_000 } });
    const lock = await holder.acquire('v5', { ttl: 300, autoExtend: true });
    const waiting = waiter.acquire('v5', { waitTimeout: 20_000 });
    await sleep(700);
    expect(lock.isHeld).toBe(true);
    await lock.release();
    const next = await waiting;
    expect(next.fencingToken).toBeGreaterThan(lock.fencingToken);
    await next.release();

    const warm = await holder.acquire('v5:rt');
    await warm.release();
    const commands = await monitorCommands(server, async () =>
      (await holder.acquire('v5:rt')).release(),
    );
    expect(countByName(commands)).toEqual({ evalsha: 2 });
    await holder.close();
    await waiter.close();
  });

  it('reports a lost lock through the signal', async () => {
    const manager = new LockManager(client());
    const lock = await manager.acquire('v5:lost', { ttl: 300, autoExtend: true });
    await manager.forceRelease('v5:lost');
    await sleep(250);
    expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    await manager.close();
  });
});
