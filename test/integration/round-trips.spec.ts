import { LockManager } from '../../lib/core/index.js';
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
