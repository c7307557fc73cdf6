import { getEventListeners, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  LockAbortedError,
  type LockAcquiredEvent,
  LockManager,
  LockTimeoutError,
} from '../../lib/core/index.js';
import { countByName, monitorCommands } from '../support/redis-server.js';
import { until } from '../support/until.js';
import { useRedisServer } from '../support/suites.js';

// The barging lock (fair: false): waiters are woken by the release's pub/sub announcement. (The
// fair lock, the default, hands the lock to its next waiter by name: see fair-lock.spec.ts.)
const BARGING = { fair: false } as const;
// Polling so slow that a waiter served within the test's time can only have been woken by the
// release's pub/sub announcement.
const NO_POLLING = { minDelay: 60_000, maxDelay: 60_000 };

describe('waiting for a held lock', () => {
  const db = useRedisServer();
  let holderManager: LockManager;

  beforeAll(() => {
    holderManager = db.manager(BARGING);
  });

  async function subscribers(key: string): Promise<number> {
    const reply = (await db.redis.pubsub('NUMSUB', `lock:${key}`)) as [string, number];
    return Number(reply[1]);
  }

  it('subscribes again after its pub/sub connection was cut, and is still woken by the release', async () => {
    const waiterClient = db.server.client();
    const waiter = new LockManager(waiterClient, { ...BARGING, retry: NO_POLLING });
    const holder = await holderManager.acquire('resubscribed');
    const waiting = waiter.acquire('resubscribed', { waitTimeout: 30_000 });
    await until(async () => (await subscribers('resubscribed')) === 1, 'the waiter to subscribe');
    await db.server.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await until(async () => (await subscribers('resubscribed')) === 0, 'the cut');
    await until(async () => (await subscribers('resubscribed')) === 1, 'the subscription again');
    // Only the release's announcement can wake it now (no polling for a minute).
    await holder.release();
    const lock = await waiting;
    expect(lock.fencingToken).toBeGreaterThan(holder.fencingToken);
    await lock.release();
    await waiter.close();
    waiterClient.disconnect();
  });

  it('wakes the waiter through the release announcement, not by polling', async () => {
    const waiterClient = db.server.client();
    const waiter = new LockManager(waiterClient, { ...BARGING, retry: NO_POLLING });
    const holder = await holderManager.acquire('wake');
    const acquired: LockAcquiredEvent[] = [];
    waiter.on('acquired', (event) => acquired.push(event));

    const waiting = waiter.acquire('wake', { waitTimeout: 30_000 });
    await until(async () => (await subscribers('wake')) === 1, 'the waiter to subscribe');
    // The waiter has made its attempts and sleeps on the channel; only the release can wake it.
    const commands = await monitorCommands(db.server, async () => {
      await holder.release();
      await waiting;
    });
    const lock = await waiting;
    expect(lock.fencingToken).toBeGreaterThan(holder.fencingToken);
    // One release by the holder, one acquire by the woken waiter (EVAL when the script is new
    // on that connection), and nothing else: no polling.
    const counts = countByName(commands);
    expect(Object.keys(counts).every((name) => name === 'eval' || name === 'evalsha')).toBe(true);
    expect((counts.eval ?? 0) + (counts.evalsha ?? 0)).toBe(2);
    // First attempt, the look after subscribing, and the one after the wakeup.
    expect(acquired[0]!.attempts).toBe(3);
    await lock.release();
    await waiter.close();
    waiterClient.disconnect();
  });

  it('finds the lock free when the release happened before its subscription was active', async () => {
    const waiterClient = db.server.client();
    const waiter = new LockManager(waiterClient, { ...BARGING, retry: NO_POLLING });
    const holder = await holderManager.acquire('early-release');
    // Release as soon as the waiter decides to wait, before its SUBSCRIBE is confirmed: the
    // announcement goes to nobody, and only the look after subscribing can find the lock free.
    waiter.once('waitStarted', () => void holder.release());
    const lock = await waiter.acquire('early-release', { waitTimeout: 20_000 });
    expect(lock.isHeld).toBe(true);
    await lock.release();
    await waiter.close();
    waiterClient.disconnect();
  });

  it('takes a lock whose holder vanished as soon as its key expires, not after a poll interval', async () => {
    const waiter = new LockManager(db.redis, { ...BARGING, retry: NO_POLLING });
    // A holder that crashed: nobody releases, nothing is announced.
    await holderManager.acquire('crashed-holder', { ttl: 300 });
    const lock = await waiter.acquire('crashed-holder', { waitTimeout: 20_000 });
    expect(lock.isHeld).toBe(true);
    await lock.release();
    await waiter.close();
  });

  it('uses one subscriber connection per manager, whatever the number of waiters', async () => {
    const waiterClient = db.server.client();
    const waiter = new LockManager(waiterClient, { ...BARGING, retry: NO_POLLING });
    const keys = ['m:1', 'm:2', 'm:3', 'm:4'];
    const holders = await Promise.all(keys.map((key) => holderManager.acquire(key)));
    const waits = keys.flatMap((key) =>
      Array.from({ length: 5 }, () => waiter.acquire(key, { waitTimeout: 20_000 })),
    );
    await until(async () => {
      const counts = await Promise.all(keys.map(subscribers));
      return counts.every((count) => count === 1);
    }, 'all channels to be subscribed');
    const clients = String(await db.redis.client('LIST'));
    const subscribed = clients.split('\n').filter((line) => /\bsub=[1-9]/.test(line));
    expect(subscribed).toHaveLength(1);

    // Each release hands the lock to one waiter, which releases it to the next.
    let inside = 0;
    await Promise.all(holders.map((lock) => lock.release()));
    await Promise.all(
      waits.map(async (wait) => {
        const lock = await wait;
        inside++;
        expect(inside).toBeLessThanOrEqual(keys.length);
        await sleep(1);
        inside--;
        await lock.release();
      }),
    );
    await waiter.close();
    waiterClient.disconnect();
  });

  it('ends a wait at waitTimeout and on abort, leaving no listener, timer or lock behind', async () => {
    const waiter = new LockManager(db.redis, BARGING);
    const holder = await holderManager.acquire('cancel');
    const timeoutsBefore = process
      .getActiveResourcesInfo()
      .filter((kind) => kind === 'Timeout').length;

    const controller = new AbortController();
    // 50 waits share this signal until the end of the test, on purpose.
    setMaxListeners(100, controller.signal);
    for (let i = 0; i < 50; i++) {
      const aborted = waiter.acquire('cancel', { signal: controller.signal, waitTimeout: 10_000 });
      const timedOut = waiter.acquire('cancel', { waitTimeout: 30 });
      await sleep(5);
      const round = new AbortController();
      const roundWait = waiter.acquire('cancel', { signal: round.signal });
      round.abort(new Error('caller gave up'));
      const error = await roundWait.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAbortedError);
      expect((error as LockAbortedError).cause).toEqual(new Error('caller gave up'));
      expect(getEventListeners(round.signal, 'abort')).toHaveLength(0);
      await expect(timedOut).rejects.toBeInstanceOf(LockTimeoutError);
      if (i === 49) controller.abort();
      else void aborted.catch(() => undefined);
      if (i === 49) await expect(aborted).rejects.toBeInstanceOf(LockAbortedError);
    }
    await sleep(20);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const timeoutsAfter = process
      .getActiveResourcesInfo()
      .filter((kind) => kind === 'Timeout').length;
    // At most the idle timer that unsubscribes the channel later.
    expect(timeoutsAfter - timeoutsBefore).toBeLessThanOrEqual(1);
    expect(await db.redis.hget('lock:cancel', 't')).toBe(holder.token);
    await holder.release();
    await waiter.close();
  });

  it('unsubscribes a channel nobody waits on any more and closes the idle connection', async () => {
    const waiterClient = db.server.client();
    const waiter = new LockManager(waiterClient, { ...BARGING, retry: NO_POLLING });
    const subscribedConnections = async (): Promise<number> =>
      String(await db.redis.client('LIST'))
        .split('\n')
        .filter((l) => /\bsub=[1-9]/.test(l)).length;
    const holder = await holderManager.acquire('idle');
    const waiting = waiter.acquire('idle', { waitTimeout: 20_000 });
    await until(async () => (await subscribers('idle')) === 1, 'the subscription');
    expect(await subscribedConnections()).toBe(1);
    await holder.release();
    const lock = await waiting;
    await lock.release();
    // Nobody waits any more: the channel goes, then the connection, while the manager is open.
    await until(async () => (await subscribers('idle')) === 0, 'the unsubscription');
    expect(await subscribers('idle')).toBe(0);
    await until(async () => (await subscribedConnections()) === 0, 'the connection to close');
    expect(await subscribedConnections()).toBe(0);
    expect(lock.fencingToken).toBeGreaterThan(holder.fencingToken);
    // The manager still works after its idle connection closed.
    const again = await waiter.acquire('idle', { waitTimeout: 0 });
    expect(again.isHeld).toBe(true);
    await again.release();
    await waiter.close();
    waiterClient.disconnect();
  });

  it('serves many waiters of one process one at a time, each once', async () => {
    const waiter = new LockManager(db.redis, BARGING);
    const order: number[] = [];
    let inside = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        waiter.withLock(
          'queue',
          async () => {
            inside++;
            expect(inside).toBe(1);
            order.push(i);
            await sleep(2);
            inside--;
          },
          { waitTimeout: 20_000 },
        ),
      ),
    );
    expect(order.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await waiter.close();
  });
});
