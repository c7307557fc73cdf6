// On a Redlock quorum, an attempt that finds no majority gives back what it took on every master,
// with the caller's token, which the caller's next attempt sends again. A master that restarted
// without its scripts answers a resent EVALSHA with NOSCRIPT, and the EVAL the client sends after
// it reaches the master after commands sent later. When that late command is the give-back of an
// earlier attempt, it deletes the grant of the next attempt: the caller counts a master that no
// longer holds its lock, and a second caller gets a majority beside it. Found by the
// multi-process exclusion test (one lost update in 281 critical sections, masters restarted).
// Now a caller's next command to a master waits for the answer to its last one there.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LockManager } from '../../../lib/core/index.js';
import { ACQUIRE_SCRIPT } from '../../../lib/core/redis/plain/acquire.script.js';
import { fenceKey } from '../../support/key-names.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import { type RedisServer, startRedis, stopAllRedis } from '../../support/redis-server.js';
import { recordUnhandledRejections } from '../../support/unhandled-rejections.js';
import { until } from '../../support/until.js';

/** How many times `server` ran `name`, asked over a connection the test keeps. */
async function commandCount(client: Redis, name: string): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

describe("a quorum attempt's give-back never deletes a later attempt's grant", () => {
  const unhandled = recordUnhandledRejections();
  let masters: RedisServer[];
  let proxies: FaultProxy[];
  let direct: Redis[];
  let waiter: LockManager;
  let holder: LockManager;

  beforeAll(async () => {
    masters = await Promise.all([startRedis(), startRedis(), startRedis()]);
    // The waiter reaches master 1 and master 3 through proxies; master 2 directly.
    proxies = await Promise.all(
      [masters[0]!, masters[2]!].map((m) => startFaultProxy({ targetPort: m.port })),
    );
    direct = masters.map((m) => m.client());
    waiter = new LockManager(
      [
        masters[0]!.client({ port: proxies[0]!.port }),
        masters[1]!.client(),
        masters[2]!.client({ port: proxies[1]!.port }),
      ],
      // Answers within 2 s count (master 1's come 400 ms late). A look every 2 to 4 s: none
      // between the first attempt and the release, which wakes the waiter.
      { nodeTimeout: 2_000, retry: { minDelay: 4_000, maxDelay: 4_000 } },
    );
    holder = new LockManager(
      masters.map((m) => m.client()),
      { nodeTimeout: 500 },
    );
  });
  afterEach(() => expect(unhandled).toEqual([]));
  afterAll(async () => {
    proxies[0]!.setLatency({});
    proxies[1]!.heal({ reset: true });
    await waiter.close();
    await holder.close();
    for (const proxy of proxies) await proxy.close();
    await stopAllRedis();
  });

  it('the give-back is resent as EVAL after a reconnect, behind the next attempt', async () => {
    // The waiter's client has sent the scripts on its connection to master 1: from now on it
    // sends EVALSHA there.
    await (await waiter.acquire('warm')).release();
    const first = await holder.acquire('contested', { ttl: 30_000 });

    // The waiter's commands to master 1 stop on the way: its first attempt waits in the
    // connection, unanswered, and so does the give-back that follows the refusal of masters 2
    // and 3 (without the fix; with it, the give-back waits for the attempt's answer).
    proxies[0]!.blackhole();
    const settled = waiter.acquire('contested', { ttl: 30_000, waitTimeout: 15_000 }).then(
      (lock) => lock,
      () => undefined,
    );
    await until(async () => (await commandCount(direct[1]!, 'evalsha')) > 0, 'the first attempt');
    await sleep(100);
    // Master 3 stops answering the waiter (the holder still reaches it).
    proxies[1]!.blackhole();
    // Master 1 loses its scripts (as after a restart or a failover), then gets the acquire
    // script back (another client ran it) but not the release script. Its fencing counter is
    // ahead of the others': its grants carry the lock's fencing token, which no master has to
    // raise (a raise would find a grant that is gone).
    await masters[0]!.command('SCRIPT', 'FLUSH');
    await masters[0]!.command('SCRIPT', 'LOAD', ACQUIRE_SCRIPT);
    await direct[0]!.set(fenceKey('contested'), String(Number.MAX_SAFE_INTEGER / 2));
    const resent = (await commandCount(direct[0]!, 'evalsha')) + 1;
    // The connection is cut: the client reconnects and resends what got no answer as it was
    // (EVALSHA). The attempt runs (refused: the lock is held), a give-back resent with it is
    // refused with NOSCRIPT, and the replies take 400 ms to come back, so the EVAL the client
    // sends in its place leaves 400 ms later.
    proxies[0]!.setLatency({ toClient: { ms: 400 } });
    proxies[0]!.heal({ reset: true });
    await until(
      async () => (await commandCount(direct[0]!, 'evalsha')) >= resent,
      "the waiter's resent attempt to run on master 1",
      { timeoutMs: 10_000, everyMs: 2 },
    );
    // The release wakes the waiter (through master 2) while that EVAL has not left yet.
    await first.release();
    const lock = await settled;
    // Every command sent to master 1 so far has run, the late EVAL included.
    await sleep(1_000);

    expect(lock).toBeDefined();
    // Master 1 is part of the waiter's majority (master 3 cannot be): if it lost the lock,
    // another caller gets a majority with master 3 while the waiter holds it.
    expect(await holder.tryAcquire('contested')).toBeNull();
    expect(await direct[0]!.hget('lock:contested', 't')).toBe(lock!.token);
    await lock!.release();
  }, 30_000);
});
