import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Lock,
  LockBackendError,
  LockLostError,
  LockManager,
  LockTimeoutError,
  LockUpgradeError,
  type ReadLock,
} from '../../lib/core/index.js';
import {
  maxReaders,
  overlapsWithWriters,
  raceForReadWriteLock,
  readerGaps,
} from '../support/read-write-timeline.js';
import { auxKey, keysLeft } from '../support/key-names.js';
import { countByName, monitorCommands } from '../support/redis-server.js';
import { publishedDuring, subscribersOf } from '../support/published.js';
import { until } from '../support/until.js';
import { useRedisServer } from '../support/suites.js';

// Polling so slow (and waits so long) that a waiter served within jest's 30 s can only have been
// woken by an announcement.
const NO_POLLING = { minDelay: 60_000, maxDelay: 60_000 };
const LONG_WAIT = { waitTimeout: 60_000 };

describe('read-write lock', () => {
  const db = useRedisServer();
  let manager: LockManager;
  let waiter: LockManager;

  beforeEach(() => {
    manager = db.manager();
    // Queued writers keep their place for a minute: only announcements move things in time.
    waiter = db.manager({ retry: NO_POLLING, waiterTtl: 60_000 });
  });

  const writersQueued = async (key: string): Promise<number> =>
    db.redis.zcard(auxKey('writers', key));

  it('shares the lock among readers and gives it to one writer at a time, leaving only the fencing counter', async () => {
    const report = manager.readWriteLock('report');
    const [a, b] = await Promise.all([report.read(), report.read()]);
    expect([a.kind, b.kind]).toEqual(['read-lock', 'read-lock']);
    expect(await report.tryWrite()).toBeNull();
    await Promise.all([a.release(), b.release()]);
    const write = (await report.tryWrite())!;
    expect(write.kind).toBe('write-lock');
    expect(await report.tryRead()).toBeNull();
    expect(await report.tryWrite()).toBeNull();
    await write.release();
    expect(await keysLeft(db.redis)).toEqual([]);
  });

  it('keeps new readers out while a writer waits, then lets them in after it (woken, not polled)', async () => {
    const report = manager.readWriteLock('prefer');
    const reader = await report.read();
    const writing = waiter.readWriteLock('prefer').write(LONG_WAIT);
    await until(async () => (await writersQueued('prefer')) === 1, 'the writer to queue');
    // A lock already read-held, and still a new reader is refused: the writer goes first.
    expect(await report.tryRead()).toBeNull();
    const reading = waiter.readWriteLock('prefer').read(LONG_WAIT);
    await sleep(50);
    // The last reader out names the writer; the writer's release wakes the reader behind it.
    await reader.release();
    const write = await writing;
    let readerIn = false;
    void reading.then(() => (readerIn = true));
    await sleep(50);
    expect(readerIn).toBe(false);
    await write.release();
    await (await reading).release();
  });

  it('hands the write lock to waiting writers in arrival order, with growing fencing tokens', async () => {
    const lock = manager.readWriteLock('fifo');
    const first = await lock.write();
    const order: number[] = [];
    const writes: Promise<Lock>[] = [];
    for (let i = 0; i < 4; i++) {
      writes.push(
        waiter
          .readWriteLock('fifo')
          .write(LONG_WAIT)
          .then((write) => {
            order.push(i);
            return write;
          }),
      );
      await until(async () => (await writersQueued('fifo')) === i + 1, `writer ${i} to queue`);
    }
    await first.release();
    let previous = first.fencingToken;
    for (const pending of writes) {
      const write = await pending;
      expect(write.fencingToken).toBeGreaterThan(previous);
      previous = write.fencingToken;
      await write.release();
    }
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('names each next writer on its own manager’s channel: with three managers waiting, one connection hears each', async () => {
    const first = await manager.readWriteLock('named').write();
    const managers = Array.from({ length: 3 }, () =>
      db.manager({ retry: NO_POLLING, waiterTtl: 60_000 }),
    );
    const writes = managers.map((other) => other.readWriteLock('named').write(LONG_WAIT));
    await until(async () => (await writersQueued('named')) === 3, 'every writer to queue');
    const places = await db.redis.hvals(auxKey('writers-expiry', 'named'));
    const ownChannels = places.map(
      (place) => `${auxKey('writers', 'named')}#${place.split('|')[1]!.split('.')[0]!}`,
    );
    expect(new Set(ownChannels).size).toBe(3);
    await until(
      async () =>
        (await Promise.all(ownChannels.map((c) => subscribersOf(db.redis, c)))).every(
          (n) => n === 1,
        ),
      'each manager to listen on its own channel',
    );
    const messages = await publishedDuring(db.redis, 'lock:*', async () => {
      await first.release();
      for (const pending of writes) await (await pending).release();
    });
    const named = messages.filter(([, message]) => message.startsWith('next:'));
    expect(named).toHaveLength(3);
    for (const [channel, message] of named) {
      const hub = message.slice('next:'.length).split('.')[0]!;
      expect(channel).toBe(`${auxKey('writers', 'named')}#${hub}`);
    }
    // The lock's channel carries only what every waiter may use: the last release's 'free'.
    expect(messages.filter(([channel]) => channel === 'lock:named')).toEqual([
      ['lock:named', 'free'],
    ]);
  });

  it('refuses an upgrade at once, with LockUpgradeError, and lets other call chains wait normally', async () => {
    const lock = manager.readWriteLock('upgrade');
    const error = await lock.withRead(() => lock.write()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockUpgradeError);
    expect((error as Error).message).toMatch(/upgrading a read lock is not supported/);
    // Nothing was sent for the refused write: no writer queued, the read lock is gone.
    expect(await keysLeft(db.redis, 'lock:*upgrade*')).toEqual([]);
    // A write from another call chain of the same process is no upgrade: it waits its turn.
    let reading: ReadLock | undefined;
    const readDone = lock.withRead(async (read) => {
      reading = read;
      await sleep(100);
    });
    await until(async () => reading !== undefined, 'the read lock');
    const write = await lock.write({ waitTimeout: 5_000 });
    await readDone;
    expect(reading!.isHeld).toBe(false);
    await write.release();
  });

  it('lets a writer in once a crashed reader’s hold expires, and tells that reader at its release', async () => {
    const crashed = await manager.readWriteLock('crashed').read({ ttl: 300 });
    const write = await waiter.readWriteLock('crashed').write(LONG_WAIT);
    const lost = await crashed.release().catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LockLostError);
    expect(lost).toMatchObject({ kind: 'read-lock', reason: 'expired' });
    expect(await db.redis.hget('lock:crashed', 'w')).toBe(write.token);
    await write.release();
  });

  it('renews while withRead/withWrite run, and aborts the signal of a lost read lock', async () => {
    const lock = manager.readWriteLock('renewed');
    await lock.withRead(
      async (read) => {
        await sleep(700);
        expect(read.signal.aborted).toBe(false);
      },
      { ttl: 300 },
    );
    await lock.withWrite(
      async (write) => {
        await sleep(700);
        expect(write.signal.aborted).toBe(false);
      },
      { ttl: 300 },
    );

    const read = await lock.read({ ttl: 600, autoExtend: true });
    const aborted = new Promise<unknown>((resolve) =>
      read.signal.addEventListener('abort', () => resolve(read.signal.reason)),
    );
    await db.redis.del(auxKey('readers', 'renewed'));
    expect(await aborted).toMatchObject({ kind: 'read-lock', reason: 'expired' });
  });

  it('a writer that gives up leaves the queue at once: the readers it held back get in', async () => {
    const lock = manager.readWriteLock('gave-up');
    const reader = await lock.read();
    const writer = waiter
      .readWriteLock('gave-up')
      .write({ waitTimeout: 300 })
      .catch((e: unknown) => e);
    await until(async () => (await writersQueued('gave-up')) === 1, 'the writer to queue');
    const reading = waiter.readWriteLock('gave-up').read(LONG_WAIT);
    expect(await writer).toBeInstanceOf(LockTimeoutError);
    expect(await writer).toMatchObject({ kind: 'write-lock' });
    // Woken by the writer leaving, not by its place expiring (5 s) or by polling (a minute).
    await (await reading).release();
    expect(await writersQueued('gave-up')).toBe(0);
    await reader.release();
  });

  it('takes a free read or write lock, renews and releases it in one round trip each', async () => {
    const warm = manager.readWriteLock('rt');
    // Warm: each script is sent as EVAL once per connection, EVALSHA afterwards.
    for (const take of [() => warm.read(), () => warm.write()]) {
      const held = await take();
      await held.extend();
      await held.release();
    }
    for (const take of [() => warm.read(), () => warm.write()]) {
      let held: ReadLock | Lock | undefined;
      expect(
        countByName(await monitorCommands(db.server, async () => (held = await take()))),
      ).toEqual({ evalsha: 1 });
      expect(countByName(await monitorCommands(db.server, () => held!.extend()))).toEqual({
        evalsha: 1,
      });
      expect(countByName(await monitorCommands(db.server, () => held!.release()))).toEqual({
        evalsha: 1,
      });
    }
  });

  it('reports a name that a plain lock uses, and the other way round', async () => {
    const plain = await manager.acquire('taken-name');
    const clash = await manager
      .readWriteLock('taken-name')
      .read()
      .catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(LockBackendError);
    expect((clash as Error).message).toMatch(/not a lock of this library/);
    await plain.release();

    const read = await manager.readWriteLock('rw-name').read();
    const reverse = await manager.acquire('rw-name').catch((e: unknown) => e);
    expect(reverse).toBeInstanceOf(LockBackendError);
    await read.release();
  });
});

describe('read-write lock across OS processes', () => {
  const db = useRedisServer();

  it('3 reader and 2 writer processes (9 readers, 2 writers) for 4 s: no reader during a writer, no two writers, readers together', async () => {
    const holds = await raceForReadWriteLock({
      port: db.server.port,
      key: 'shared',
      readers: [3, 3],
      writers: [2, 1],
      durationMs: 4_000,
      readHoldMs: [10, 40],
      writeHoldMs: [2, 10],
      // Writers go first: writers that never pause would keep the readers out all the time.
      writePauseMs: 100,
    });
    const writes = holds.filter((h) => h.role === 'write');
    const reads = holds.filter((h) => h.role === 'read');
    if (process.env.REPORT) {
      console.log({ writes: writes.length, reads: reads.length, maxReaders: maxReaders(holds) });
    }
    // Counts that show both sides ran many times, low enough for a busy machine.
    expect(writes.length).toBeGreaterThanOrEqual(5);
    expect(reads.length).toBeGreaterThanOrEqual(20);
    expect(overlapsWithWriters(holds)).toBe(0);
    // No write landed in the middle of a read, and none was lost.
    expect(reads.filter((r) => r.before !== r.after)).toEqual([]);
    expect(Number(await db.redis.get('shared:counter'))).toBe(writes.length);
    // Readers really shared the lock.
    expect(maxReaders(holds)).toBeGreaterThan(1);
    // Fencing tokens grow in the order writers got the lock.
    for (let i = 1; i < writes.length; i++) {
      expect(writes[i]!.fencingToken).toBeGreaterThan(writes[i - 1]!.fencingToken);
    }
  }, 60_000);

  it('detects a lock that excludes nothing (the control experiment)', async () => {
    const holds = await raceForReadWriteLock({
      port: db.server.port,
      key: 'not-exclusive',
      readers: [1, 3],
      writers: [1, 3],
      durationMs: 1_000,
      readHoldMs: [10, 40],
      writeHoldMs: [2, 10],
      entry: require.resolve('../support/workers/no-read-write-lock.cjs'),
    });
    expect(overlapsWithWriters(holds)).toBeGreaterThan(0);
  }, 30_000);

  it('a writer gets in under a continuous stream of readers from other processes', async () => {
    const manager = new LockManager(db.redis);
    const stream = raceForReadWriteLock({
      port: db.server.port,
      key: 'busy-report',
      readers: [2, 4],
      writers: [0, 0],
      durationMs: 4_500,
      readHoldMs: [100, 200],
      writeHoldMs: [0, 0],
    });
    // Once the readers run, let them hold the lock a while before the writer asks.
    await until(
      async () => (await db.redis.zcard(auxKey('readers', 'busy-report'))) >= 3,
      'the readers',
    );
    await sleep(700);
    const requested = process.hrtime.bigint();
    const write = await manager.readWriteLock('busy-report').write({ waitTimeout: 10_000 });
    const granted = process.hrtime.bigint();
    if (process.env.REPORT) console.log({ writerWaitedMs: Number(granted - requested) / 1e6 });
    await sleep(50);
    // Taken before the release is sent: the writer surely held the lock from `granted` to here.
    // (After release() returns is too late: readers woken by it may already be in by then.)
    const releasing = process.hrtime.bigint();
    await write.release();
    const holds = await stream;
    await manager.close();

    // Control: in the 300 ms before the writer asked, readers held the lock without a gap, so a
    // lock whose writers waited for a moment without readers would have waited for ever. (Over
    // a longer window a loaded machine can stall every reader process at once for a few ms.)
    const warmUp = holds[0]!.start + 300_000_000n;
    expect(requested - warmUp).toBeGreaterThan(300_000_000n);
    expect(readerGaps(holds, requested - 300_000_000n, requested)).toEqual([]);
    // The writer got in while the readers kept coming, and no reader held it meanwhile.
    const during = holds.filter((h) => h.start < releasing && granted < h.end);
    expect(during).toEqual([]);
    // The stream went on after it.
    expect(holds.some((h) => h.start > releasing)).toBe(true);
  }, 60_000);
});
