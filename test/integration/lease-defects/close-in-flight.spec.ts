// Issue 13, defect 6: close() must cover work already in flight. An acquire whose command is
// on its way when close() is called either rejects or is released before close() resolves, and
// nothing of the closed manager runs after that (no renewal, no timer).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { Lock, LockManager, RedisLockError } from '../../../lib/core/index.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import {
  callsBetween,
  commandCalls,
  type RedisServer,
  startRedis,
  stopAllRedis,
} from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';
import { until } from '../../support/until.js';

describe('close() settles the acquires in flight, and nothing runs after it resolved', () => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  let proxy: FaultProxy;
  let direct: Redis;

  beforeAll(async () => {
    server = await startRedis();
    proxy = await startFaultProxy({ targetPort: server.port });
    direct = server.client();
  });
  afterEach(() => {
    proxy.setLatency({});
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    await proxy.close();
    await server.stop();
    await stopAllRedis();
  });

  it.each([
    ['acquire', (m: LockManager, key: string) => m.acquire(key, { ttl: 1_000, autoExtend: true })],
    ['withLock', (m: LockManager, key: string) => m.withLock(key, (lock) => lock, { ttl: 1_000 })],
  ] as const)(
    '%s in flight: no lock in Redis once close() resolved, the call does not end holding it, no renewal afterwards',
    async (_name, call) => {
      const key = `closing:${_name}`;
      const client = server.client({ port: proxy.port });
      const manager = new LockManager(client);
      await client.ping();
      // The acquire reaches Redis after 100 ms and runs; its reply takes 150 ms to come back.
      // The give-back of the late grant takes 100 ms to reach Redis too, so only a close() that
      // waited for its reply finds the key gone through another connection.
      proxy.setLatency({ toClient: { ms: 150 }, toServer: { ms: 100 } });
      const pending = call(manager, key).then(
        (value) => value,
        (error: unknown) => error,
      );
      await until(async () => (await direct.exists(`lock:${key}`)) === 1, 'the acquire to run');
      await manager.close();
      const heldAfterClose = await direct.exists(`lock:${key}`);

      const outcome = await pending;
      if (outcome instanceof Lock) {
        expect({ isHeld: outcome.isHeld }).toEqual({ isHeld: false });
      } else {
        expect(outcome).toBeInstanceOf(RedisLockError);
      }
      expect(heldAfterClose).toBe(0);
      // A renewal of a 1 s lock would come every ~333 ms: three periods without any.
      const before = await commandCalls(server);
      await sleep(1_000);
      const calls = callsBetween(before, await commandCalls(server));
      expect({ evalsha: calls.evalsha ?? 0, eval: calls.eval ?? 0 }).toEqual({
        evalsha: 0,
        eval: 0,
      });
      client.disconnect();
    },
  );
});
