import type { Redis } from 'ioredis';

/**
 * The two things scenario 4 compares: the same method body run under the same lock, once through
 * `@DistributedLock` on a Nest provider and once with a manual acquire/release.
 */
export interface DecoratorPair {
  /** Calls the decorated provider method; the lock key is derived from `key`. */
  decorated(key: string): Promise<void>;
  /** The same body with `manager.acquire(key)` and `lock.release()` written by hand. */
  manual(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the pair on `redis`, or returns undefined while the Nest layer (`lib/`, with
 * `@DistributedLock`) is not on this branch: scenario 4 then reports "not run" rather than a
 * figure made up without the decorator.
 *
 * To fill in once the Nest layer exists: create a Nest application context (Test.createTestingModule
 * with the lock module registered on `redis`) holding one provider with two methods of an
 * identical, empty body: one decorated with `@DistributedLock` on the key argument, one taking
 * the module's LockManager and doing `const lock = await manager.acquire(key); try { body } finally
 * { await lock.release(); }`. `close()` closes the application context. Nothing else in the
 * scenario changes.
 */
export async function createDecoratorPair(_redis: Redis): Promise<DecoratorPair | undefined> {
  return undefined;
}
