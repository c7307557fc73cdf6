// Issue 13, defect 11: the in-memory backend stands in for Redis in tests, so it must answer as
// Redis does for every sequence of operations: here on keys that a semaphore or a read-write
// lock holds (inspect and forceRelease of those differed), and for random sequences of every
// kind of lease.
import fc from 'fast-check';
import { InMemoryLockStore, type Lease, LockManager } from '../../../lib/core/index.js';
import { useRedisServer } from '../../support/suites.js';

type Operation =
  | { readonly op: 'lock'; readonly key: string }
  | { readonly op: 'multi'; readonly keys: readonly [string, string] }
  | { readonly op: 'read' | 'write' | 'permit'; readonly key: string }
  | { readonly op: 'release' | 'extend'; readonly lease: number }
  | { readonly op: 'inspect' | 'forceRelease'; readonly key: string };

const KEY = fc.constantFrom('a', 'b');
const OPERATION: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant('lock' as const), key: KEY }),
  fc.record({ op: fc.constant('multi' as const), keys: fc.constant(['a', 'b'] as const) }),
  fc.record({
    op: fc.constantFrom('read' as const, 'write' as const, 'permit' as const),
    key: KEY,
  }),
  fc.record({ op: fc.constantFrom('release' as const, 'extend' as const), lease: fc.nat(5) }),
  fc.record({ op: fc.constantFrom('inspect' as const, 'forceRelease' as const), key: KEY }),
);

/** Runs `operations` on one manager and describes each outcome in backend-neutral terms. */
async function outcomes(manager: LockManager, operations: readonly Operation[]): Promise<string[]> {
  const leases: Lease[] = [];
  const described: string[] = [];
  const TTL = { ttl: 60_000 };
  const granted = (lease: Lease | null): string => {
    if (!lease) return 'not granted';
    leases.push(lease);
    return 'granted';
  };
  for (const operation of operations) {
    try {
      switch (operation.op) {
        case 'lock':
          described.push(granted(await manager.tryAcquire(operation.key, TTL)));
          break;
        case 'multi':
          described.push(granted(await manager.tryAcquire([...operation.keys], TTL)));
          break;
        case 'read':
          described.push(granted(await manager.readWriteLock(operation.key).tryRead(TTL)));
          break;
        case 'write':
          described.push(granted(await manager.readWriteLock(operation.key).tryWrite(TTL)));
          break;
        case 'permit':
          described.push(
            granted(await manager.semaphore(operation.key, { permits: 2 }).tryAcquire(TTL)),
          );
          break;
        case 'release':
        case 'extend': {
          const lease = leases[operation.lease % Math.max(1, leases.length)];
          if (!lease) {
            described.push('no lease');
            break;
          }
          await (operation.op === 'release' ? lease.release() : lease.extend());
          described.push('ok');
          break;
        }
        case 'inspect': {
          const info = await manager.inspect(operation.key);
          described.push(`held ${info.held}, fencing token ${info.fencingToken ? 'set' : 'none'}`);
          break;
        }
        case 'forceRelease':
          described.push(`removed ${await manager.forceRelease(operation.key)}`);
          break;
      }
    } catch (error) {
      described.push(`throws ${(error as Error).name}`);
    }
  }
  for (const lease of leases) await lease.release().catch(() => undefined);
  return described;
}

describe('the in-memory backend answers as Redis does', () => {
  const db = useRedisServer();
  let run = 0;

  /** The outcomes of `operations` on Redis and in memory, each on fresh keys. */
  const onBoth = async (operations: readonly Operation[]) => {
    const keyPrefix = `parity${run++}:`;
    const redis = new LockManager(db.redis, { keyPrefix });
    const memory = new LockManager(new InMemoryLockStore(), { keyPrefix });
    try {
      return {
        redis: await outcomes(redis, operations),
        memory: await outcomes(memory, operations),
      };
    } finally {
      await redis.close();
      await memory.close();
    }
  };

  it.each(['permit', 'read', 'write'] as const)(
    'inspect() and forceRelease() of a key a %s holds',
    async (op) => {
      const { redis, memory } = await onBoth([
        { op, key: 'a' },
        { op: 'inspect', key: 'a' },
        { op: 'forceRelease', key: 'a' },
        { op: 'inspect', key: 'a' },
      ]);
      expect(memory).toEqual(redis);
    },
  );

  it('the release of a lock whose key a semaphore took meanwhile', async () => {
    // Found by the property below (a single-key lock is a fair one by default).
    const { redis, memory } = await onBoth([
      { op: 'lock', key: 'a' },
      { op: 'forceRelease', key: 'a' },
      { op: 'permit', key: 'a' },
      { op: 'release', lease: 0 },
    ]);
    expect(redis[3]).toBe('throws LockBackendError');
    expect(memory).toEqual(redis);
  });

  it('the release of a multi-key lock one of whose keys a semaphore took meanwhile', async () => {
    // Found by the property below: Redis answers WRONGTYPE (LockBackendError), as memory must.
    const { redis, memory } = await onBoth([
      { op: 'multi', keys: ['a', 'b'] },
      { op: 'forceRelease', key: 'a' },
      { op: 'permit', key: 'a' },
      { op: 'release', lease: 0 },
      { op: 'lock', key: 'a' },
    ]);
    expect(redis[3]).toBe('throws LockBackendError');
    expect(memory).toEqual(redis);
  });

  it('the extension of a multi-key lock one of whose keys a semaphore took meanwhile', async () => {
    // Found by the property below: Redis's extend reads the key as a hash (WRONGTYPE).
    const { redis, memory } = await onBoth([
      { op: 'multi', keys: ['a', 'b'] },
      { op: 'forceRelease', key: 'b' },
      { op: 'permit', key: 'b' },
      { op: 'extend', lease: 0 },
    ]);
    expect(redis[3]).toBe('throws LockBackendError');
    expect(memory).toEqual(redis);
  });

  it('for random sequences of acquisitions, releases, extensions, inspections and forced releases', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(OPERATION, { minLength: 1, maxLength: 12 }), async (operations) => {
        const { redis, memory } = await onBoth(operations);
        expect(memory).toEqual(redis);
      }),
      { numRuns: 150 },
    );
  });
});
