import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { InvalidLockOptionsError } from './core/errors/invalid-lock-options.error.js';
import type { AcquireOptions } from './core/interfaces/acquire-options.interface.js';
import type { ListLocksOptions } from './core/interfaces/list-locks-options.interface.js';
import type { HeldLockInfo, LockInfo } from './core/interfaces/lock-info.interface.js';
import type { SemaphoreOptions } from './core/interfaces/semaphore-options.interface.js';
import type { Lease } from './core/lease.js';
import type { Lock } from './core/lock.js';
import { type LockKey, LockManager } from './core/lock-manager.js';
import type { Permit } from './core/permit.js';
import type { ReadWriteLock } from './core/primitives/read-write-lock.js';
import type { Semaphore } from './core/primitives/semaphore.js';
import type { ReadLock } from './core/read-lock.js';
import { describeValue } from './core/options/describe-value.util.js';
import { closeModuleConnection } from './connection/close-module-connection.js';
import { lockContext } from './lock-context.js';
import { LockEventLogger } from './logging/lock-event-logger.js';
import type { ResolvedRedisLockModuleOptions } from './options/resolve-module-options.js';
import type { RedisLockConnection } from './redis-lock-connection.interface.js';
import {
  REDIS_LOCK_CONNECTION,
  REDIS_LOCK_RESOLVED_OPTIONS,
  REDIS_LOCK_TELEMETRY,
} from './redis-lock.internal-constants.js';
import { CallChainEntrance, type EnterOptions } from './service/call-chain-entrance.js';
import { InflightCalls } from './service/inflight-calls.js';
import type { LeaseTarget } from './service/lease-target.interface.js';
import { runInEntry } from './service/run-in-entry.js';
import type {
  OnLostOption,
  WithLockOptions,
  WithPermitOptions,
  WithReadWriteLockOptions,
} from './service/with-lease-options.interface.js';
import type { LockTelemetry } from './telemetry/lock-telemetry.js';

/** The options every `with*` call shares, beside those of its primitive's acquire. */
type WithOptions = EnterOptions & OnLostOption & { readonly reentrant?: boolean };

/**
 * Distributed locks for your providers: the engine's `acquire`, `tryAcquire`, `withLock`,
 * `inspect` and `forceRelease`, semaphores and read-write locks, with the module's defaults,
 * plus `current()` for the lock held by the current call chain.
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
  /** Locked calls running, with what each holds (for a shutdown that cuts them). */
  private readonly calls = new InflightCalls();
  /**
   * How the call chains of this application enter their leases (decorated methods too).
   * @internal
   */
  readonly entrance: CallChainEntrance;
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
    this.entrance = new CallChainEntrance(manager, this, this.calls, () => this.telemetry?.tracing);
  }

  /**
   * Acquires a lock, waiting up to `waitTimeout`; see `LockManager.acquire`. You release it.
   * @throws LockTimeoutError when it is still held by someone else after `waitTimeout`
   */
  acquire(key: LockKey, options?: AcquireOptions): Promise<Lock> {
    this.calls.assertOpen();
    return this.manager.acquire(key, options);
  }

  /**
   * One attempt (or a wait up to `waitTimeout` if given); `null` when someone else holds it.
   */
  tryAcquire(key: LockKey, options?: AcquireOptions): Promise<Lock | null> {
    this.calls.assertOpen();
    return this.manager.tryAcquire(key, options);
  }

  /**
   * Runs `fn` under the lock, renewing it while `fn` runs, and releases it afterwards. Inside
   * `fn`, `current()` returns the lock, and a nested `withLock` or decorated method on the same
   * key re-enters it instead of waiting for itself.
   * If the lock is lost while `fn` runs, `lock.signal` aborts at once; when `fn` returns anyway,
   * its result is discarded and `LockLostError` thrown (or returned with `onLost: 'ignore'`).
   * A caller's controller, resolver, gateway or message handler answers the errors for its
   * transport (see the module's `mapErrors`).
   * @throws LockTimeoutError when still held by someone else after `waitTimeout` (`reason:
   *   'held'`), or when Redis failed (`reason: 'unavailable'`)
   * @throws LockLostError when `fn` returned but the lock was lost while it ran
   * @example
   * await this.locks.withLock(`report:${day}`, (lock) => this.build(day, { signal: lock.signal }));
   */
  withLock<T>(
    key: LockKey,
    fn: (lock: Lock) => T | Promise<T>,
    options?: WithLockOptions,
  ): Promise<T> {
    return this.runWith({ kind: 'lock', key }, fn, options, 'withLock()');
  }

  /**
   * A semaphore of the module's manager: see `LockManager.semaphore`. Its methods have the
   * engine's semantics (no re-entrancy; use `withPermit` or `@DistributedSemaphore` for that).
   * @example
   * const permit = await this.locks.semaphore('exports', { permits: 2 }).tryAcquire();
   */
  semaphore(key: string, options: SemaphoreOptions): Semaphore {
    return this.manager.semaphore(key, options);
  }

  /**
   * A read-write lock of the module's manager: see `LockManager.readWriteLock`. Its methods
   * have the engine's semantics (use `withReadLock`/`withWriteLock` or `@DistributedLock` with
   * `mode` for re-entrancy).
   */
  readWriteLock(key: string): ReadWriteLock {
    return this.manager.readWriteLock(key);
  }

  /**
   * Runs `fn` holding `weight` (default 1) of the semaphore's `permits`, renewing them while
   * `fn` runs, and releases them afterwards. Inside `fn`, `currentLease()` returns the permit,
   * and a nested `withPermit` or `@DistributedSemaphore` on the same key re-enters it.
   * @example
   * return this.locks.withPermit('payments', () => this.provider.charge(order), { permits: 5 });
   */
  withPermit<T>(
    key: string,
    fn: (permit: Permit) => T | Promise<T>,
    options: WithPermitOptions,
  ): Promise<T> {
    const { permits, ...rest } = options ?? ({} as WithPermitOptions);
    return this.runWith({ kind: 'permit', key, permits }, fn, rest, 'withPermit()');
  }

  /**
   * Runs `fn` under the read lock of `key`, renewed while it runs. Inside it, a nested read
   * re-enters; a nested write throws `LockUpgradeError` at once. (The engine's
   * `ReadWriteLock.withRead` without re-entrancy.)
   */
  withReadLock<T>(
    key: string,
    fn: (lock: ReadLock) => T | Promise<T>,
    options?: WithReadWriteLockOptions,
  ): Promise<T> {
    return this.runWith({ kind: 'read-lock', key }, fn, options, 'withReadLock()');
  }

  /**
   * Runs `fn` under the write lock of `key`, renewed while it runs. Inside it, `current()`
   * returns the lock (with its fencing token), and nested reads and writes re-enter it. (The
   * engine's `ReadWriteLock.withWrite` without re-entrancy.)
   */
  withWriteLock<T>(
    key: string,
    fn: (lock: Lock) => T | Promise<T>,
    options?: WithReadWriteLockOptions,
  ): Promise<T> {
    return this.runWith({ kind: 'write-lock', key }, fn, options, 'withWriteLock()');
  }

  /** The one body of the `with*` methods: enter `target`, run `fn` in it, exit. */
  private async runWith<T, L extends Lease>(
    target: LeaseTarget,
    fn: (lease: L) => T | Promise<T>,
    options: WithOptions | undefined,
    caller: string,
  ): Promise<T> {
    if (typeof fn !== 'function') {
      throw new InvalidLockOptionsError(
        'fn',
        `${caller} needs the work to run as its second argument, a function, but received ${describeValue(fn)}.`,
      );
    }
    const { reentrant, onLost, autoExtend, ...acquireOptions } = options ?? {};
    const lostThen = this.onLostOf(onLost);
    const reentering = reentrant ?? this.options.reentrant;
    // The work runs inside the lock however long it takes: renewed unless the module or the
    // call says otherwise (the engine's own default is for acquire(), released by hand).
    const renewing = { ...acquireOptions, autoExtend: autoExtend ?? this.options.autoExtend };
    const entry = await this.entrance.enter(target, renewing, reentering, caller);
    const work = runInEntry(entry, fn as (lease: Lease) => T | Promise<T>, lostThen);
    return this.track(work, entry.holding);
  }

  /** The `onLost` of a `with*` call, checked before anything is acquired. */
  private onLostOf(onLost: unknown): 'throw' | 'ignore' {
    if (onLost === undefined) return this.options.onLost;
    if (onLost === 'throw' || onLost === 'ignore') return onLost;
    throw new InvalidLockOptionsError(
      'onLost',
      `onLost must be 'throw' or 'ignore', but received ${describeValue(onLost)}.`,
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
    return this.manager.list(pattern, options);
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
      if (frame.owner !== this) continue;
      const { lease } = frame;
      if (lease.kind === 'lock' || lease.kind === 'write-lock') return lease as Lock;
    }
    return undefined;
  }

  /**
   * The innermost lease of any kind held by the current async call chain: a `Lock`, a
   * `ReadLock` or a semaphore `Permit` (check `kind`), or `undefined`. Inside a
   * `@DistributedSemaphore` method, this is how code reaches its permit's `signal`.
   *
   * @example
   * const permit = this.locks.currentLease();
   * await provider.charge(order, { signal: permit?.signal });
   */
  currentLease(): Lease | undefined {
    for (let frame = lockContext.getStore(); frame; frame = frame.parent) {
      if (frame.owner === this) return frame.lease;
    }
    return undefined;
  }

  /**
   * Keeps `work` in the set that `app.close()` waits for.
   * @internal
   */
  track<T>(work: Promise<T>, holding: string): Promise<T> {
    return this.calls.track(work, holding);
  }

  /** The module's defaults for decorated methods. @internal */
  get decoratorDefaults(): {
    readonly autoExtend: boolean;
    readonly onLocked: 'throw' | 'skip';
    readonly onLost: 'throw' | 'ignore';
    readonly reentrant: boolean;
  } {
    return this.options;
  }

  /** @internal */
  static soleInstance(): RedisLockService | undefined {
    return RedisLockService.alive.size === 1 ? [...RedisLockService.alive][0] : undefined;
  }

  /**
   * Waits, up to `shutdownTimeout`, for the locked work still running; nothing new starts
   * meanwhile. When the time is up, every lock is released at once and the calls cut are
   * logged: Nest closes the HTTP server after this hook, and that waits for the requests still
   * running, so releasing later would leave their locks held for as long as they run.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.calls.close();
    const { shutdownTimeout } = this.options;
    const cut = await this.calls.drain(shutdownTimeout);
    if (cut) {
      this.log.shutdownTimeout(cut.holding, cut.running, shutdownTimeout);
      // The cut calls' signals abort (LockLostError, reason 'closed'); onLost says what their
      // callers get when they return.
      await this.manager.close();
    }
  }

  /** Releases every lock still held, then closes the connection the module created. */
  async onApplicationShutdown(): Promise<void> {
    this.calls.close();
    RedisLockService.alive.delete(this);
    await this.manager.close();
    this.stopLogging();
    if (this.connection.owned) await closeModuleConnection(this.connection.client);
  }
}
