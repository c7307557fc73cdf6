import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { InvalidLockOptionsError } from './core/errors/invalid-lock-options.error.js';
import { LockLostError } from './core/errors/lock-lost.error.js';
import { LockManagerClosedError } from './core/errors/lock-manager-closed.error.js';
import { LockUpgradeError } from './core/errors/lock-upgrade.error.js';
import type { AcquireOptions } from './core/interfaces/acquire-options.interface.js';
import type { LeaseKind } from './core/interfaces/lease-kind.interface.js';
import type { ListLocksOptions } from './core/interfaces/list-locks-options.interface.js';
import type { HeldLockInfo, LockInfo } from './core/interfaces/lock-info.interface.js';
import type { ReadWriteAcquireOptions } from './core/interfaces/read-write-acquire-options.interface.js';
import type { SemaphoreAcquireOptions } from './core/interfaces/semaphore-acquire-options.interface.js';
import type { SemaphoreOptions } from './core/interfaces/semaphore-options.interface.js';
import type { Lease } from './core/lease.js';
import type { Lock } from './core/lock.js';
import { type LockKey, LockManager } from './core/lock-manager.js';
import type { Permit } from './core/permit.js';
import type { ReadWriteLock } from './core/primitives/read-write-lock.js';
import type { Semaphore } from './core/primitives/semaphore.js';
import type { ReadLock } from './core/read-lock.js';
import { describeValue } from './core/options/describe-value.util.js';
import { closeClient } from './core/util/close-client.util.js';
import { describeLease } from './core/util/describe-lease.util.js';
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
 * What a `with*` call does when its lock was lost while `fn` ran and `fn` then returned.
 * @publicApi
 */
export interface OnLostOption {
  /**
   * `'throw'`: discard `fn`'s result and reject with the `LockLostError` (the work ran without
   * exclusion for a while); `'ignore'`: return the result (the loss is logged). The lease's
   * `signal` aborts the moment the loss is known either way. The same contract as
   * `@DistributedLock`'s `onLost`; a re-entered lock leaves the loss to its holder.
   * @default the module's `onLost` ('throw')
   */
  onLost?: 'throw' | 'ignore';
}

/**
 * Options of `RedisLockService.withLock()`: the engine's acquire options, plus re-entrancy.
 * @publicApi
 */
export interface WithLockOptions extends AcquireOptions, OnLostOption {
  /**
   * Enter a lock this async call chain already holds instead of waiting for itself.
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}

/**
 * Options of `RedisLockService.withPermit()`: the semaphore's limit, the engine's acquire
 * options of a permit, and re-entrancy.
 * @publicApi
 */
export interface WithPermitOptions extends SemaphoreAcquireOptions, SemaphoreOptions, OnLostOption {
  /**
   * Enter a permit of this semaphore that the async call chain already holds instead of taking
   * another one (with `permits: 1`, taking another would wait for itself).
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}

/**
 * Options of `RedisLockService.withReadLock()` and `withWriteLock()`.
 * @publicApi
 */
export interface WithReadWriteLockOptions extends ReadWriteAcquireOptions, OnLostOption {
  /**
   * Enter the lock when the async call chain already holds it: a read inside a read or a write,
   * a write inside a write. (A write inside a read is an upgrade: `LockUpgradeError`.)
   * @default the module's `reentrant` (true)
   */
  reentrant?: boolean;
}

/**
 * What a call chain enters: a lock (plain or fair: `fair` is an acquire option), a side of a
 * read-write lock, or permits of a semaphore.
 * @internal
 */
export type LeaseTarget =
  | { readonly kind: 'lock'; readonly key: LockKey }
  | { readonly kind: 'read-lock' | 'write-lock'; readonly key: string }
  | {
      readonly kind: 'permit';
      readonly key: string;
      readonly permits: number;
    };

/**
 * A lease entered by the current call chain: run work inside it, then exit.
 * @internal
 */
export interface LockEntry {
  readonly lease: Lease;
  /** Whether this entry took the lease (and releases it), or re-entered one its chain holds. */
  readonly owns: boolean;
  /** Runs `fn` with this lease as `current()`/`currentLease()` for everything it calls. */
  run<T>(fn: () => T): T;
  /** Releases what this entry acquired (nothing, when it re-entered a held lease). */
  exit(): Promise<void>;
  /**
   * Releases what this entry acquired, and resolves with the `LockLostError` when it was lost
   * while held. A release Redis did not confirm is not a loss: the lease was valid until then,
   * expires by itself, and the failure is logged (`backendError`).
   */
  finish(): Promise<LockLostError | undefined>;
  /** `holding lock "order:1"`, for the log of a shutdown that cut the call. */
  readonly holding: string;
}

/** Which held leases a call chain re-enters instead of acquiring, per kind asked for. */
const ENTERED_BY: Record<LeaseKind, readonly LeaseKind[]> = {
  lock: ['lock'],
  // A writer may read: a read inside a write re-enters the write lock.
  'read-lock': ['read-lock', 'write-lock'],
  'write-lock': ['write-lock'],
  permit: ['permit'],
};

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
  private readonly inflight = new Map<Promise<unknown>, string>();
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
  async withLock<T>(
    key: LockKey,
    fn: (lock: Lock) => T | Promise<T>,
    options?: WithLockOptions,
  ): Promise<T> {
    const { reentrant, onLost, ...acquireOptions } = options ?? {};
    const lostThen = this.onLostOf(onLost);
    const entry = await this.enter(
      { kind: 'lock', key },
      acquireOptions,
      reentrant ?? this.options.reentrant,
      'withLock()',
    );
    return this.runEntered(entry, fn as (lease: Lease) => T | Promise<T>, lostThen);
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
  async withPermit<T>(
    key: string,
    fn: (permit: Permit) => T | Promise<T>,
    options: WithPermitOptions,
  ): Promise<T> {
    const { reentrant, permits, onLost, ...acquireOptions } = options ?? ({} as WithPermitOptions);
    const lostThen = this.onLostOf(onLost);
    const entry = await this.enter(
      { kind: 'permit', key, permits },
      acquireOptions,
      reentrant ?? this.options.reentrant,
      'withPermit()',
    );
    return this.runEntered(entry, fn as (lease: Lease) => T | Promise<T>, lostThen);
  }

  /**
   * Runs `fn` under the read lock of `key`, renewed while it runs. Inside it, a nested read
   * re-enters; a nested write throws `LockUpgradeError` at once.
   */
  async withReadLock<T>(
    key: string,
    fn: (lock: ReadLock) => T | Promise<T>,
    options?: WithReadWriteLockOptions,
  ): Promise<T> {
    const { reentrant, onLost, ...acquireOptions } = options ?? {};
    const lostThen = this.onLostOf(onLost);
    const entry = await this.enter(
      { kind: 'read-lock', key },
      acquireOptions,
      reentrant ?? this.options.reentrant,
      'withReadLock()',
    );
    return this.runEntered(entry, fn as (lease: Lease) => T | Promise<T>, lostThen);
  }

  /**
   * Runs `fn` under the write lock of `key`, renewed while it runs. Inside it, `current()`
   * returns the lock (with its fencing token), and nested reads and writes re-enter it.
   */
  async withWriteLock<T>(
    key: string,
    fn: (lock: Lock) => T | Promise<T>,
    options?: WithReadWriteLockOptions,
  ): Promise<T> {
    const { reentrant, onLost, ...acquireOptions } = options ?? {};
    const lostThen = this.onLostOf(onLost);
    const entry = await this.enter(
      { kind: 'write-lock', key },
      acquireOptions,
      reentrant ?? this.options.reentrant,
      'withWriteLock()',
    );
    return this.runEntered(entry, fn as (lease: Lease) => T | Promise<T>, lostThen);
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

  private runEntered<T>(
    entry: LockEntry,
    fn: (lease: Lease) => T | Promise<T>,
    onLost: 'throw' | 'ignore',
  ): Promise<T> {
    return this.track(
      (async () => {
        let result: T;
        try {
          result = await entry.run(() => fn(entry.lease));
        } catch (error) {
          await entry.exit().catch(() => undefined);
          throw error;
        }
        const lost = await entry.finish();
        if (lost && onLost === 'throw') throw lost;
        return result;
      })(),
      entry.holding,
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
   * Acquires what this call chain does not hold yet (everything when not re-entrant): the keys
   * of a lock, a side of a read-write lock, or permits of a semaphore.
   * @throws LockUpgradeError for a write lock inside a read lock of the same key
   * @internal
   */
  enter(
    target: LeaseTarget,
    options: AcquireOptions | SemaphoreAcquireOptions,
    reentrant: boolean,
    caller: string,
  ): Promise<LockEntry> {
    // With OpenTelemetry: one span from here to the exit, around the wait and the hold.
    const tracing = this.telemetry?.tracing;
    return tracing
      ? tracing.trace(target.key, () => this.enterChain(target, options, reentrant, caller))
      : this.enterChain(target, options, reentrant, caller);
  }

  private async enterChain(
    target: LeaseTarget,
    options: AcquireOptions | SemaphoreAcquireOptions,
    reentrant: boolean,
    caller: string,
  ): Promise<LockEntry> {
    this.assertOpen();
    const keys =
      typeof target.key === 'string' ? [target.key] : [...new Set(target.key as string[])];
    const parent = lockContext.getStore();
    // Outside any locked call (the common case) there is nothing to re-enter or upgrade.
    const held =
      reentrant && parent ? heldInChain(this, ENTERED_BY[target.kind]) : new Map<string, Lease>();
    if (
      parent &&
      target.kind === 'write-lock' &&
      !held.has(keys[0]!) &&
      heldInChain(this, ['read-lock']).has(keys[0]!)
    ) {
      // The write lock would wait for this chain's own read lock: say so now.
      throw new LockUpgradeError(keys[0]!);
    }
    const missing = held.size > 0 ? keys.filter((k) => !held.has(k)) : keys;
    let acquired: Lease | undefined;
    if (missing.length > 0) {
      acquired = await this.acquireFor(target, missing, options);
      if (this.draining) {
        // Shutdown began while this call waited: it must not start work whose lease is about
        // to be released.
        await acquired.release().catch(() => undefined);
        throw new LockManagerClosedError();
      }
    }
    const lease = acquired ?? held.get(keys[0]!)!;
    const frame: LockFrame = { lease, kind: target.kind, keys, owner: this, parent };
    const exit = async (): Promise<void> => {
      if (acquired) await acquired.release();
    };
    return {
      lease,
      owns: acquired !== undefined,
      run: (fn) => lockContext.run(frame, fn),
      exit,
      finish: () =>
        exit().then(
          () => undefined,
          (error: unknown) => (error instanceof LockLostError ? error : undefined),
        ),
      holding: `${caller} holding ${describeLease(target.kind, keys.join(' + '))}`,
    };
  }

  private acquireFor(
    target: LeaseTarget,
    missing: readonly string[],
    options: AcquireOptions | SemaphoreAcquireOptions,
  ): Promise<Lease> {
    switch (target.kind) {
      case 'lock':
        return this.manager.acquire(missing.length === 1 ? missing[0]! : missing, options);
      case 'read-lock':
        return this.manager.readWriteLock(target.key).read(options as ReadWriteAcquireOptions);
      case 'write-lock':
        return this.manager.readWriteLock(target.key).write(options as ReadWriteAcquireOptions);
      case 'permit':
        return this.manager
          .semaphore(target.key, { permits: target.permits })
          .acquire(options as SemaphoreAcquireOptions);
    }
  }

  /**
   * Keeps `work` in the set that `app.close()` waits for.
   * @internal
   */
  track<T>(work: Promise<T>, holding: string): Promise<T> {
    this.inflight.set(work, holding);
    const done = (): void => void this.inflight.delete(work);
    work.then(done, done);
    return work;
  }

  /** The module's defaults for decorated methods. @internal */
  get decoratorDefaults(): {
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
    this.draining = true;
    if (this.inflight.size === 0) return;
    const running = this.inflight.size;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.inflight.keys()]).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.shutdownTimeout);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.shutdownTimeout([...this.inflight.values()], running, this.options.shutdownTimeout);
      // The cut calls' signals abort (LockLostError, reason 'closed'); onLost says what their
      // callers get when they return.
      await this.manager.close();
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
