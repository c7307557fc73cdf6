import { type DynamicModule, Module } from '@nestjs/common';
import { InMemoryLockStore } from '../core/memory/in-memory-lock-store.js';
import type { RedisLockModuleOptions } from '../interfaces/redis-lock-module-options.interface.js';
import { RedisLockModule } from '../redis-lock.module.js';

/**
 * Options of `RedisLockTestingModule.forRoot()`: every option of `RedisLockModule` but the
 * connection (the locks live in memory), plus the store to keep them in.
 * @publicApi
 */
export interface RedisLockTestingOptions extends Omit<
  RedisLockModuleOptions,
  'url' | 'redis' | 'cluster' | 'client' | 'inMemory'
> {
  /**
   * Where the locks live. Give one store to several testing modules (or to a `LockManager`) to
   * have them see the same locks, as instances of an app sharing one Redis would.
   * @default a new store, seen by this module only
   */
  store?: InMemoryLockStore;
}

/**
 * `RedisLockModule` for the unit tests of your services, without a Redis: the same
 * `@DistributedLock`, `@DistributedSemaphore` and `RedisLockService`, with the same semantics
 * (ttl, waiting, re-entrancy, `onLocked`, `onLost`, semaphores, read-write and fair locks), on
 * locks kept in an `InMemoryLockStore`. Each `forRoot()` gets a store of its own unless given
 * one, so tests do not see each other's locks. Like `RedisLockModule`, it is global.
 *
 * The store is injectable (`moduleRef.get(InMemoryLockStore)`): a `LockManager` on it is
 * another instance of your app, to hold a key from outside the code under test. Lock expiry
 * follows the engine's clock, `performance.now()`: fake timers that fake `performance` too
 * (Jest's modern timers do) move it along.
 *
 * It locks only within one process: never use it between instances of an app.
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [RedisLockTestingModule.forRoot({ waitTimeout: 0 })],
 *   providers: [ReportService],
 * }).compile();
 * await moduleRef.init();
 *
 * // Another instance is building the report: this one gives up at once.
 * const otherInstance = new LockManager(moduleRef.get(InMemoryLockStore));
 * const held = await otherInstance.acquire('report:2026-01-01');
 * await expect(moduleRef.get(ReportService).rebuild('2026-01-01')).rejects.toBeInstanceOf(
 *   LockTimeoutError,
 * );
 * await held.release();
 * @publicApi
 */
@Module({})
export class RedisLockTestingModule {
  /** The module with `options` over `RedisLockModule`'s defaults, on an in-memory store. */
  static forRoot(options: RedisLockTestingOptions = {}): DynamicModule {
    const { store = new InMemoryLockStore(), ...moduleOptions } = options;
    return {
      module: RedisLockTestingModule,
      global: true,
      imports: [RedisLockModule.forRoot({ ...moduleOptions, inMemory: store })],
      providers: [{ provide: InMemoryLockStore, useValue: store }],
      exports: [RedisLockModule, InMemoryLockStore],
    };
  }
}
