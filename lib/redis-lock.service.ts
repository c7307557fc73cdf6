import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { LockManagerClosedError } from './core/errors/lock-manager-closed.error.js';
import type { AcquireOptions } from './core/interfaces/acquire-options.interface.js';
import type { ListLocksOptions } from './core/interfaces/list-locks-options.interface.js';
import type { HeldLockInfo, LockInfo } from './core/interfaces/lock-info.interface.js';
import type { Lock } from './core/lock.js';
import { type LockKey, LockManager } from './core/lock-manager.js';
import { closeClient } from './core/util/close-client.util.js';
import { heldInChain, type LockFrame, lockContext } from './lock-context.js';
import { LockEventLogger } from './logging/lock-event-logger.js';
import type { ResolvedRedisLockModuleOptions } from './options/resolve-module-options.js';
import {
  REDIS_LOCK_CONNECTION,
  REDIS_LOCK_RESOLVED_OPTIONS,
  REDIS_LOCK_TELEMETRY,
} from './redis-lock.internal-constants.js';
import type { RedisLockConnection } from './redis-lock.providers.js';
import type { LockTelemetry } from './telemetry/lock-telemetry.js';

/**
 * Options of `RedisLockService.withLock()`: the engine's acquire options, plus re-entrancy.
 * @publicApi
 */
export interface WithLockOptions extends AcquireOptions {
  /**
   * Enter a lock this async call chain already holds instead of waiting for itself.
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}

/**
 * A lock entered by the current call chain: run work inside it, then exit.
 * @internal
 */
export interface LockEntry {
  readonly lock: Lock;
  /** Whether this entry took the lock (and releases it), or re-entered one its chain holds. */
  readonly owns: boolean;
  /** Runs `fn` with this lock as `current()` for everything it calls. */
  run<T>(fn: () => T): T;
  /** Releases what this entry acquired (nothing, when it re-entered a held lock). */
  exit(): Promise<void>;
}

/**
 * Distributed locks for your providers: the engine's `acquire`, `tryAcquire`, `withLock`,
 * `inspect` and `forceRelease`, with the module's defaults, plus `current()` for the lock held by
 * the current call chain.
 *
 * @example
 * @Injectable()
 * export class ReportService {
 *   constructor(private readonly locks: RedisLockService) {}
 *
 *   async rebuild(day: string) {
 *     return this.locks.withLock(`report:${day}`, async (lock) => {
 *       const rows = await this.load(day, { signal: lock.signal });
 *       return this.save(day, rows, lock.fencingToken);
 *     });
 *   }
 * }
 * @publicApi
 */
@Injectable()
export class RedisLockService implements BeforeApplicationShutdown, OnApplicationShutdown {
  /** Services of the applications alive in this process (to serve objects Nest did not create). */
  private static readonly alive = new Set<RedisLockService>();

  private readonly log: LockEventLogger;
  private readonly stopLogging: () => void;
  private readonly inflight = new Set<Promise<unknown>>();
  private draining = false;
  /** OpenTelemetry, when installed (a property, so that no declaration names its types). */
  @Optional()
  @Inject(REDIS_LOCK_TELEMETRY)
  private readonly telemetry: LockTelemetry | null | undefined;

  constructor(
    /** The engine behind this service (also injectable as `LockManager`). */
    readonly manager: LockManager,
    @Inject(REDIS_LOCK_RESOLVED_OPTIONS) private readonly options: ResolvedRedisLockModuleOptions,
    @Inject(REDIS_LOCK_CONNECTION) private readonly connection: RedisLockConnection,
  ) {
    RedisLockService.alive.add(this);
    this.log = new LockEventLogger(options.logging);
    this.stopLogging = this.log.attach(manager);
  }

  /**
   * Acquires a lock, waiting up to `waitTimeout`; see `LockManager.acquire`. You release it.
   * @throws LockTimeoutError when it is still held by someone else after `waitTimeout`
   */
  acquire(key: LockKey, options?: AcquireOptions): Promise<Lock> {
    this.assertOpen();
    return this.manager.acquire(key, options);
  }

  /**
   * One attempt (or a wait up to `waitTimeout` if given); `null` when someone else holds it.
   */
  tryAcquire(key: LockKey, options?: AcquireOptions): Promise<Lock | null> {
    this.assertOpen();
    return this.manager.tryAcquire(key, options);
  }

  /**
   * Runs `fn` under the lock, renewing it while `fn` runs, and releases it afterwards. Inside
   * `fn`, `current()` returns the lock, and a nested `withLock` or decorated method on the same
   * key re-enters it instead of waiting for itself.
   * @throws LockLostError when `fn` succeeded but the lock was lost while it ran
   */
  async withLock<T>(
    key: LockKey,
    fn: (lock: Lock) => T | Promise<T>,
    options?: WithLockOptions,
  ): Promise<T> {
    const { reentrant, ...acquireOptions } = options ?? {};
    const entry = await this.enter(key, acquireOptions, reentrant ?? this.options.reentrant);
    return this.track(
      (async () => {
        let result: T;
        try {
          result = await entry.run(() => fn(entry.lock));
        } catch (error) {
          await entry.exit().catch(() => undefined);
          throw error;
        }
        await entry.exit();
        return result;
      })(),
    );
  }

  /** Reads a lock's state in Redis: held, remaining ttl, fencing token, owner label. */
  inspect(key: string): Promise<LockInfo> {
    return this.manager.inspect(key);
  }

  /**
   * Deletes a lock whoever holds it (for operators), or only the holder with `fencingToken`;
   * returns whether a holder was removed. See `LockManager.forceRelease`.
   */
  forceRelease(key: string, options?: { fencingToken?: number }): Promise<boolean> {
    return this.manager.forceRelease(key, options);
  }

  /**
   * The locks held right now, by any instance, page by page (`SCAN`, never `KEYS`): each with
   * its key (without the `keyPrefix`), remaining ttl in ms, fencing token and the holder's
   * `owner` label. See `LockManager.list` for the semantics on Cluster and quorum setups.
   *
   * @param pattern a glob over keys without the prefix, such as `'order:*'` (default: every lock)
   * @param options `count`, the keys each SCAN call looks at (default 100)
   * @throws InvalidLockOptionsError for an invalid pattern or option, before any Redis call
   * @example
   * for await (const lock of this.locks.list('order:*')) {
   *   if (lock.owner?.startsWith('worker-3:')) await this.locks.forceRelease(lock.key);
   * }
   */
  list(
    pattern?: string,
    options?: Omit<ListLocksOptions, 'match'>,
  ): AsyncIterableIterator<HeldLockInfo> {
    return this.manager.list(pattern === undefined ? options : { ...options, match: pattern });
  }

  /**
   * The lock held by the current async call chain (the innermost one), or `undefined`: inside a
   * `@DistributedLock` method or a `withLock` callback, and everything they call, code can read
   * its `fencingToken` and watch its `signal`.
   *
   * @example
   * const lock = this.locks.current();
   * await this.repository.save(order, { fencingToken: lock?.fencingToken });
   */
  current(): Lock | undefined {
    for (let frame = lockContext.getStore(); frame; frame = frame.parent) {
      if (frame.owner === this) return frame.lock;
    }
    return undefined;
  }

  /**
   * Acquires the keys this call chain does not hold yet (all of them when not re-entrant).
   * @internal
   */
  enter(key: LockKey, options: AcquireOptions, reentrant: boolean): Promise<LockEntry> {
    // With OpenTelemetry: one span from here to the exit, around the wait and the hold.
    const tracing = this.telemetry?.tracing;
    return tracing
      ? tracing.trace(key, () => this.enterChain(key, options, reentrant))
      : this.enterChain(key, options, reentrant);
  }

  private async enterChain(
    key: LockKey,
    options: AcquireOptions,
    reentrant: boolean,
  ): Promise<LockEntry> {
    this.assertOpen();
    const keys = typeof key === 'string' ? [key] : [...new Set(key)];
    const parent = lockContext.getStore();
    // Outside any locked call (the common case) there is nothing to re-enter.
    const held = reentrant && parent ? heldInChain(this) : undefined;
    const missing = held ? keys.filter((k) => !held.has(k)) : keys;
    let acquired: Lock | undefined;
    if (missing.length > 0) {
      acquired = await this.manager.acquire(missing.length === 1 ? missing[0]! : missing, options);
      if (this.draining) {
        // Shutdown began while this call waited: it must not start work whose lock is about
        // to be released.
        await acquired.release().catch(() => undefined);
        throw new LockManagerClosedError();
      }
    }
    const lock = acquired ?? held!.get(keys[0]!)!;
    return new Entry(lock, acquired !== undefined, { lock, keys, owner: this, parent });
  }

  /**
   * Keeps `work` in the set that `app.close()` waits for.
   * @internal
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const done = (): void => void this.inflight.delete(work);
    work.then(done, done);
    return work;
  }

  /** The module's defaults for decorated methods. @internal */
  get decoratorDefaults(): { readonly onLocked: 'throw' | 'skip'; readonly reentrant: boolean } {
    return this.options;
  }

  /** @internal */
  static soleInstance(): RedisLockService | undefined {
    return RedisLockService.alive.size === 1 ? [...RedisLockService.alive][0] : undefined;
  }

  /** Waits (bounded) for the locked work still running: nothing new starts meanwhile. */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    if (this.inflight.size === 0) return;
    const running = this.inflight.size;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.inflight]).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.shutdownTimeout);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.shutdownTimeout(this.inflight.size, running, this.options.shutdownTimeout);
    }
  }

  /** Releases every lock still held, then closes the connection the module created. */
  async onApplicationShutdown(): Promise<void> {
    this.draining = true;
    RedisLockService.alive.delete(this);
    await this.manager.close();
    this.stopLogging();
    if (this.connection.owned) {
      const { client } = this.connection;
      await Promise.all((Array.isArray(client) ? client : [client]).map((c) => closeClient(c)));
    }
  }

  private assertOpen(): void {
    if (this.draining) throw new LockManagerClosedError();
  }
}

/** A lock entered by a call chain (the object behind `LockEntry`). */
class Entry implements LockEntry {
  constructor(
    readonly lock: Lock,
    /** Whether this entry acquired the lock (and so releases it), or re-entered a held one. */
    readonly owns: boolean,
    private readonly frame: LockFrame,
  ) {}

  run<T>(fn: () => T): T {
    return lockContext.run(this.frame, fn);
  }

  async exit(): Promise<void> {
    if (this.owns) await this.lock.release();
  }
}
