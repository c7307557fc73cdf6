import fc from 'fast-check';
import { Redis } from 'ioredis';
import {
  DistributedLock,
  DistributedSemaphore,
  InvalidLockOptionsError,
  LockLostError,
  LockManager,
  LockTimeoutError,
  LockUpgradeError,
  RedisLockError,
  SemaphoreLimitMismatchError,
  UnsupportedPrimitiveError,
} from '../../lib/index.js';

/** A client that never connects: every check below must happen before any Redis call. */
function offlineClient(): Redis {
  const client = new Redis({ lazyConnect: true, port: 1 });
  client.on('error', () => undefined);
  return client;
}

describe('options of semaphores, read-write locks and fair locks', () => {
  const client = offlineClient();
  const sent = jest.spyOn(client, 'sendCommand');
  const manager = new LockManager(client);

  afterEach(() => expect(sent).not.toHaveBeenCalled());
  afterAll(async () => {
    await manager.close();
    client.disconnect();
  });

  const rejectsWith = async (promise: Promise<unknown>, option: string): Promise<void> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).option).toBe(option);
  };

  it('refuses any number of permits but a whole number from 1 to 10000', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ max: 0 }),
          fc.integer({ min: 10_001 }),
          fc.double({ noInteger: true }),
          fc.constantFrom(NaN, Infinity, '3', null, undefined, [3], { permits: 3 }),
        ),
        (permits) => {
          expect(() => manager.semaphore('jobs', { permits } as never)).toThrow(
            expect.objectContaining({ option: 'permits' }),
          );
        },
      ),
    );
    expect(() => manager.semaphore('jobs', undefined as never)).toThrow(
      /needs the number of permits/,
    );
    expect(() => manager.semaphore('jobs', { permits: 3, limit: 3 } as never)).toThrow(
      /Unknown semaphore option "limit"/,
    );
    expect(manager.semaphore('jobs', { permits: 10_000 }).permits).toBe(10_000);
  });

  it('refuses a weight above the permits, or not a whole number, and any option a permit does not take', async () => {
    const jobs = manager.semaphore('jobs', { permits: 3 });
    for (const weight of [0, 4, 1.5, '2', null]) {
      await rejectsWith(jobs.acquire({ weight } as never), 'weight');
    }
    await expect(jobs.acquire({ weight: 4 })).rejects.toThrow(
      /has 3 permits: a holder asking for more would wait forever/,
    );
    await rejectsWith(jobs.tryAcquire({ ttl: 5 }), 'ttl');
    await rejectsWith(jobs.acquire({ fair: true } as never), 'fair');
    await rejectsWith(jobs.acquire({ timeout: 5_000 } as never), 'timeout');
    await rejectsWith(jobs.acquire(5 as never), 'options');
    await rejectsWith(jobs.withPermit('work' as never), 'fn');
  });

  it('refuses bad keys for every primitive', () => {
    for (const key of ['', '#fence', 'order:undefined', 42, undefined]) {
      expect(() => manager.semaphore(key as never, { permits: 1 })).toThrow(
        InvalidLockOptionsError,
      );
      expect(() => manager.readWriteLock(key as never)).toThrow(InvalidLockOptionsError);
    }
  });

  it('refuses bad read-write lock options, and fair with several keys or not a boolean', async () => {
    const lock = manager.readWriteLock('report');
    await rejectsWith(lock.read({ fair: true } as never), 'fair');
    await rejectsWith(lock.write({ ttl: '1000' } as never), 'ttl');
    await rejectsWith(lock.tryWrite({ waitTimeout: -1 }), 'waitTimeout');
    await rejectsWith(lock.withRead(undefined as never), 'fn');
    await rejectsWith(manager.acquire('a', { fair: 'yes' } as never), 'fair');
    await rejectsWith(manager.acquire(['a', 'b'], { fair: true }), 'fair');
  });

  it('refuses a write lock inside withRead of the same lock before any Redis call', async () => {
    // withRead itself needs Redis; the check is what a write inside it runs first.
    const { runReading } = await import('../../lib/core/primitives/read-scope.util.js');
    const lock = manager.readWriteLock('report');
    const error = await runReading(manager.options, 'report', () => lock.write()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockUpgradeError);
    expect(error).toMatchObject({ key: 'report' });
  });

  it('validates waiterTtl', () => {
    for (const waiterTtl of [50, 1.5, '5000', -1]) {
      expect(() => new LockManager(client, { waiterTtl } as never)).toThrow(
        expect.objectContaining({ option: 'waiterTtl' }),
      );
    }
    expect(manager.options.waiterTtl).toBe(5_000);
  });
});

describe('on a Redlock quorum', () => {
  const clients = [offlineClient(), offlineClient(), offlineClient()];
  const manager = new LockManager(clients);
  afterAll(async () => {
    await manager.close();
    for (const client of clients) client.disconnect();
  });

  it('refuses semaphores, read-write locks and fair locks with UnsupportedPrimitiveError', async () => {
    expect(() => manager.semaphore('payments', { permits: 5 })).toThrow(UnsupportedPrimitiveError);
    expect(() => manager.readWriteLock('report')).toThrow(UnsupportedPrimitiveError);
    const fair = await manager.acquire('tickets', { fair: true }).catch((e: unknown) => e);
    expect(fair).toBeInstanceOf(UnsupportedPrimitiveError);
    expect(fair).toMatchObject({ primitive: 'fair lock', key: 'tickets' });
    try {
      manager.semaphore('payments', { permits: 5 });
    } catch (error) {
      expect(error).toMatchObject({ primitive: 'semaphore', key: 'payments' });
      expect((error as Error).message).toMatch(/could admit more holders than there are permits/);
    }
  });
});

describe('decorator options', () => {
  const decorate = (
    decorator: (target: object, key: string, descriptor: TypedPropertyDescriptor<any>) => void,
  ): void => {
    class Target {
      async run(id: string): Promise<string> {
        return id;
      }
    }
    decorator(Target.prototype, 'run', Object.getOwnPropertyDescriptor(Target.prototype, 'run')!);
  };

  it('@DistributedSemaphore needs permits, a weight within them, and one key', () => {
    expect(() => decorate(DistributedSemaphore('payments', undefined as never))).toThrow(
      /needs the number of permits/,
    );
    expect(() => decorate(DistributedSemaphore('payments', { permits: 0 }))).toThrow(
      expect.objectContaining({ option: 'permits' }),
    );
    expect(() => decorate(DistributedSemaphore('payments', { permits: 2, weight: 3 }))).toThrow(
      expect.objectContaining({ option: 'weight' }),
    );
    expect(() => decorate(DistributedSemaphore(['a', 'b'] as never, { permits: 2 }))).toThrow(
      /names one semaphore/,
    );
    expect(() =>
      decorate(DistributedSemaphore('p', { permits: 2, mode: 'read' } as never)),
    ).toThrow(/Unknown @DistributedSemaphore option "mode"/);
    expect(() => decorate(DistributedSemaphore('p:<oops>', { permits: 2 }))).toThrow(
      /^@DistributedSemaphore\('p:<oops>'\) on Target\.run\(\): <oops> names no parameter/,
    );
    expect(() => decorate(DistributedSemaphore('p:<id>', { permits: 2, weight: 2 }))).not.toThrow();
  });

  it('@DistributedLock takes mode read or write, fair as a boolean, not both, and one key with either', () => {
    expect(() => decorate(DistributedLock('r:<id>', { mode: 'reed' } as never))).toThrow(
      expect.objectContaining({ option: 'mode' }),
    );
    expect(() => decorate(DistributedLock('r:<id>', { fair: 'yes' } as never))).toThrow(
      expect.objectContaining({ option: 'fair' }),
    );
    expect(() => decorate(DistributedLock('r:<id>', { mode: 'write', fair: true }))).toThrow(
      /do not combine/,
    );
    expect(() => decorate(DistributedLock(['a:<id>', 'b'], { mode: 'read' }))).toThrow(
      /takes one key/,
    );
    expect(() => decorate(DistributedLock(['a:<id>', 'b'], { fair: true }))).toThrow(
      /takes one key/,
    );
    expect(() => decorate(DistributedLock('r:<id>', { mode: 'read' }))).not.toThrow();
  });
});

describe('errors of the primitives', () => {
  it('are RedisLockErrors with readonly details and messages that say what to do', () => {
    const mismatch = new SemaphoreLimitMismatchError('payments', 5, 3);
    expect(mismatch).toBeInstanceOf(RedisLockError);
    expect(mismatch.name).toBe('SemaphoreLimitMismatchError');
    expect(mismatch.message).toMatch(/Give every caller the same limit/);
    expect(new LockUpgradeError('r').message).toMatch(/Release the read lock first/);
    expect(new LockTimeoutError('p', 100, { kind: 'permit' }).message).toMatch(
      /^Could not acquire a permit of semaphore "p" within 100 ms\. Its permits are in use/,
    );
    expect(new LockTimeoutError('r', 100, { kind: 'read-lock' }).kind).toBe('read-lock');
    const lost = new LockLostError('p', 'expired', 0, { kind: 'permit' });
    expect(lost.message).toMatch(/^A permit of semaphore "p" was lost: /);
    expect(lost.message).not.toMatch(/fencing token/);
    expect(new LockLostError('k', 'taken', 7).message).toMatch(
      /^Lock "k" \(fencing token 7\) was lost: .*reject stale writes with the fencing token\.$/,
    );
  });
});
