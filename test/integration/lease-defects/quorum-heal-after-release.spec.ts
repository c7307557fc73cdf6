// Issue 13, defect 8: on a Redlock quorum, a renewal that finds the lock missing on one master
// re-creates it there (heal). When that renewal is still in flight as release() is called, the
// heal must not be sent: no write of a lease may follow the start of its release, or a zombie
// key outlives the release by a full ttl.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LockManager } from '../../../lib/core/index.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import {
  commandCalls,
  type RedisServer,
  startRedis,
  stopAllRedis,
} from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';
import { until } from '../../support/until.js';

describe('no quorum master holds a lock after its release, even with a heal in flight', () => {
  const unhandled = recordUnhandledRejections();
  let masters: RedisServer[];
  let proxies: FaultProxy[];
  let direct: Redis[];
  let manager: LockManager;

  beforeAll(async () => {
    masters = await Promise.all([startRedis(), startRedis(), startRedis()]);
    proxies = await Promise.all(masters.map((m) => startFaultProxy({ targetPort: m.port })));
    direct = masters.map((m) => m.client());
    manager = new LockManager(
      masters.map((m, i) => m.client({ port: proxies[i]!.port })),
      { nodeTimeout: 1_000 },
    );
  });
  afterEach(() => expect(unhandled).toEqual([]));
  afterAll(async () => {
    await manager.close();
    for (const proxy of proxies) await proxy.close();
    for (const master of masters) await master.stop();
    await stopAllRedis();
  });

  it('release() called while a renewal that will heal a master is in flight', async () => {
    const evalCalls = async (server: RedisServer): Promise<number> => {
      const calls = await commandCalls(server);
      return (calls.evalsha ?? 0) + (calls.eval ?? 0);
    };
    const lock = await manager.acquire('healing', { ttl: 3_000, autoExtend: true });
    // Master 3 lost the lock (as after a restart without persistence); masters 1 and 2 hold it.
    await direct[2]!.del('lock:healing');
    // Master 2 answers 600 ms late: the renewal round stays open that long after it ran.
    proxies[1]!.setLatency({ toClient: { ms: 600 } });
    const before = await evalCalls(masters[0]!);
    // The renewal (a third of the ttl after the grant) reaches master 1: release now.
    await until(async () => (await evalCalls(masters[0]!)) > before, 'the renewal', {
      everyMs: 2,
    });
    await lock.release().catch(() => undefined);
    // Let the renewal round settle (master 2's late answer) and any heal it sends arrive.
    await sleep(1_200);
    proxies[1]!.setLatency({});
    const held = await Promise.all(direct.map((client) => client.pttl('lock:healing')));
    // PTTL -2: no such key.
    expect(held).toEqual([-2, -2, -2]);
  });
});
