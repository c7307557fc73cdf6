import { tracingChannel } from 'node:diagnostics_channel';
import {
  LOCK_CHANNELS,
  type Lock,
  LockLostError,
  type LockManager,
  LockReleasedError,
  LockTimeoutError,
} from '../../lib/core/index.js';
import { useRedisServer } from '../support/suites.js';
import { until } from '../support/until.js';

type ChannelName = keyof typeof LOCK_CHANNELS;
type EventName = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';

/** One published event, with a copy of its message as it was at that moment. */
interface Published {
  readonly channel: ChannelName;
  readonly event: EventName;
  readonly message: Record<string, unknown>;
  /** The message object itself: every event of one operation carries the same one. */
  readonly object: object;
}

const EVENTS: EventName[] = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

/** Subscribes to every lock channel; returns what was published and how to stop. */
function subscribeAll(): { published: Published[]; stop: () => void } {
  const published: Published[] = [];
  const subscriptions = (Object.keys(LOCK_CHANNELS) as ChannelName[]).map((channel) => {
    const handlers = Object.fromEntries(
      EVENTS.map((event) => [
        event,
        (message: object) =>
          published.push({ channel, event, message: { ...message }, object: message }),
      ]),
    ) as unknown as Parameters<ReturnType<typeof tracingChannel>['subscribe']>[0];
    const traced = tracingChannel(LOCK_CHANNELS[channel]);
    traced.subscribe(handlers);
    return () => traced.unsubscribe(handlers);
  });
  return { published, stop: () => subscriptions.forEach((unsubscribe) => unsubscribe()) };
}

const of = (published: Published[], channel: ChannelName): Published[] =>
  published.filter((p) => p.channel === channel);
const events = (published: Published[]): EventName[] => published.map((p) => p.event);

describe('diagnostics_channel: the TracingChannels of acquire, wait, release, extend and lost', () => {
  const db = useRedisServer();
  let manager: LockManager;
  let rival: LockManager;
  let published: Published[];
  let stop: () => void;

  beforeEach(async () => {
    await db.redis.flushall();
    manager = db.manager({ fair: false });
    rival = db.manager({ fair: false });
    ({ published, stop } = subscribeAll());
  });
  afterEach(() => stop());

  it('names the channels after the package, as ioredis and node-redis do', () => {
    expect(LOCK_CHANNELS).toEqual({
      acquire: 'nestjs-redis-lock:acquire',
      wait: 'nestjs-redis-lock:wait',
      release: 'nestjs-redis-lock:release',
      extend: 'nestjs-redis-lock:extend',
      lost: 'nestjs-redis-lock:lost',
    });
    expect(tracingChannel(LOCK_CHANNELS.acquire).hasSubscribers).toBe(true);
  });

  it('acquire → release: start, end, asyncStart, asyncEnd, with the lease as the result', async () => {
    const lock = await manager.acquire('order:1', { ttl: 5_000, waitTimeout: 1_000 });
    await lock.release();

    const acquire = of(published, 'acquire');
    expect(events(acquire)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(new Set(acquire.map((p) => p.object)).size).toBe(1);
    expect(acquire[0]!.message).toEqual({
      key: 'order:1',
      keys: ['order:1'],
      kind: 'lock',
      mode: 'acquire',
      ttl: 5_000,
      waitTimeout: 1_000,
    });
    expect(acquire[3]!.message.result).toBe(lock);

    const release = of(published, 'release');
    expect(events(release)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(release[0]!.message).toEqual({
      key: 'order:1',
      kind: 'lock',
      fencingToken: lock.fencingToken,
      heldMs: expect.any(Number),
    });
    expect(release[3]!.message.error).toBeUndefined();
    // Nobody waited: no wait was traced.
    expect(of(published, 'wait')).toEqual([]);
  });

  it('a try that finds the lock held resolves null; a timed-out acquire publishes its error, as does its wait', async () => {
    const held = await rival.acquire('order:2');
    expect(await manager.tryAcquire('order:2')).toBeNull();
    const tried = of(published, 'acquire').filter((p) => p.message.mode === 'try');
    expect(events(tried)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(tried[3]!.message.result).toBeNull();

    const error = await manager.acquire('order:2', { waitTimeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    const failed = of(published, 'acquire').filter(
      (p) => p.message.key === 'order:2' && p.message.waitTimeout === 100,
    );
    expect(events(failed)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(failed[2]!.message.error).toBe(error);

    const wait = of(published, 'wait');
    expect(events(wait)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(wait[0]!.message).toEqual({
      key: 'order:2',
      kind: 'lock',
      waitedBeforeMs: expect.any(Number),
    });
    expect(wait[4]!.message).toMatchObject({ outcome: 'timeout', error });
    expect(wait[4]!.message.waitedMs).toBeGreaterThanOrEqual(
      wait[0]!.message.waitedBeforeMs as number,
    );
    await held.release();
  });

  it('a wait that ends with the lock: outcome acquired, no error', async () => {
    const held = await rival.acquire('order:3');
    const waiting = manager.acquire('order:3', { waitTimeout: 10_000 });
    await until(() => of(published, 'wait').length === 2, 'the wait to start');
    await held.release();
    const lock = await waiting;
    const wait = of(published, 'wait');
    expect(events(wait)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(wait[3]!.message).toMatchObject({ key: 'order:3', outcome: 'acquired' });
    await lock.release();
  });

  it('extend() and autoExtend renewals: automatic false and true, with the ttl sent', async () => {
    const lock = await manager.acquire('order:4', { ttl: 300, autoExtend: true });
    await lock.extend(600);
    const explicit = of(published, 'extend').filter((p) => p.message.automatic === false);
    expect(events(explicit)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(explicit[0]!.message).toEqual({
      key: 'order:4',
      kind: 'lock',
      fencingToken: lock.fencingToken,
      heldMs: expect.any(Number),
      ttl: 600,
      automatic: false,
    });
    await until(
      () => of(published, 'extend').some((p) => p.message.automatic && p.event === 'asyncEnd'),
      'a renewal',
    );
    const renewal = of(published, 'extend').filter((p) => p.message.automatic === true);
    expect(events(renewal.slice(0, 4))).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(renewal[0]!.message).toMatchObject({ key: 'order:4', ttl: 600, automatic: true });
    await lock.release();
  });

  it('lost: start and end bracket the holder being told, then renewal and release publish the loss as their error', async () => {
    const lock = await manager.acquire('order:5', { ttl: 600, autoExtend: true });
    const aborted: boolean[] = [];
    const lost = tracingChannel(LOCK_CHANNELS.lost);
    const handlers = {
      start: () => aborted.push(lock.signal.aborted),
      end: () => aborted.push(lock.signal.aborted),
      asyncStart: () => undefined,
      asyncEnd: () => undefined,
      error: () => undefined,
    };
    lost.subscribe(handlers);
    try {
      // Someone else's lock now: the next renewal finds it taken.
      await db.redis.hset('lock:order:5', 't', 'someone-else');
      await until(() => lock.signal.aborted, 'the loss');
    } finally {
      lost.unsubscribe(handlers);
    }
    expect(aborted).toEqual([false, true]);
    const told = of(published, 'lost');
    expect(events(told)).toEqual(['start', 'end']);
    expect(told[0]!.message).toEqual({
      key: 'order:5',
      kind: 'lock',
      fencingToken: lock.fencingToken,
      heldMs: expect.any(Number),
      reason: 'taken',
    });
    expect(told[1]!.message.lost).toBe(lock.signal.reason);
    expect(told[1]!.message.lost).toBeInstanceOf(LockLostError);

    const renewal = of(published, 'extend');
    expect(events(renewal).slice(-3)).toEqual(['error', 'asyncStart', 'asyncEnd']);
    expect(renewal.at(-1)!.message.error).toBe(lock.signal.reason);

    const error = await lock.release().catch((e: unknown) => e);
    expect(error).toBe(lock.signal.reason);
    expect(events(of(published, 'release'))).toEqual([
      'start',
      'end',
      'error',
      'asyncStart',
      'asyncEnd',
    ]);
  });

  it('extend() after release() publishes its error', async () => {
    const lock: Lock = await manager.acquire('order:6');
    await lock.release();
    await expect(lock.extend()).rejects.toBeInstanceOf(LockReleasedError);
    const extend = of(published, 'extend');
    expect(events(extend)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(extend[2]!.message.error).toBeInstanceOf(LockReleasedError);
  });

  it('traces every kind of lease: a permit of a semaphore', async () => {
    const permit = await manager.semaphore('pool', { permits: 2 }).acquire({ ttl: 5_000 });
    await permit.release();
    const acquire = of(published, 'acquire');
    expect(acquire[0]!.message).toMatchObject({ key: 'pool', kind: 'permit', mode: 'acquire' });
    expect(acquire[3]!.message.result).toBe(permit);
    expect(of(published, 'release')[0]!.message).toMatchObject({ key: 'pool', kind: 'permit' });
  });

  it('publishes nothing once nobody subscribes', async () => {
    stop();
    expect(tracingChannel(LOCK_CHANNELS.acquire).hasSubscribers).toBe(false);
    const lock = await manager.acquire('order:7', { autoExtend: true });
    await lock.extend();
    await lock.release();
    expect(published).toEqual([]);
  });
});
