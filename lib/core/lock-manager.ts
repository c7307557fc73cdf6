import { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { createBackend } from './backend/create-backend.js';
import type { LeaseDriver, LeaseParams } from './backend/lease-driver.interface.js';
import type { AcquireReply, LockBackend } from './backend/lock-backend.interface.js';
import type { PrimitiveDriverSet } from './backend/primitive-drivers.js';
import { QuorumShortfall } from './backend/quorum-shortfall.js';
import { ReplicaShortfall } from './backend/replica-shortfall.js';
import { InvalidLockOptionsError } from './errors/invalid-lock-options.error.js';
import { LockAbortedError } from './errors/lock-aborted.error.js';
import { LockBackendError } from './errors/lock-backend.error.js';
import type { LockLostReason } from './errors/lock-lost.error.js';
import { LockManagerClosedError } from './errors/lock-manager-closed.error.js';
import { LockQuorumError } from './errors/lock-quorum.error.js';
import { LockReleasedError } from './errors/lock-released.error.js';
import { LockReplicationError } from './errors/lock-replication.error.js';
import { LockTimeoutError } from './errors/lock-timeout.error.js';
import { RedisLockError } from './errors/redis-lock.error.js';
import { UnsupportedPrimitiveError } from './errors/unsupported-primitive.error.js';
import type { AcquireOptions } from './interfaces/acquire-options.interface.js';
import type { CheckHealthOptions } from './interfaces/check-health-options.interface.js';
import type { LeaseKind } from './interfaces/lease-kind.interface.js';
import type { ListLocksOptions } from './interfaces/list-locks-options.interface.js';
import type { LockHealth } from './interfaces/lock-health.interface.js';
import type { HeldLockInfo, LockInfo } from './interfaces/lock-info.interface.js';
import type { LockManagerEvents } from './interfaces/lock-manager-events.interface.js';
import type { LockManagerOptions } from './interfaces/lock-manager-options.interface.js';
import type { SemaphoreOptions } from './interfaces/semaphore-options.interface.js';
import type { Lease } from './lease.js';
import { Lock } from './lock.js';
import { LockLease } from './lock-lease.js';
import { describeValue } from './options/describe-value.util.js';
import {
  validateCheckHealthOptions,
  validateForceReleaseOptions,
  validateListOptions,
} from './options/operator-options.js';
import {
  resolveLockManagerOptions,
  type ResolvedLockManagerOptions,
} from './options/resolve-manager-options.js';
import {
  assertKnownOptions,
  RESERVED_KEY_START,
  validateBoolean,
  validateKey,
  validateOptionsObject,
  validateSignal,
  validateTtl,
  validateWaitTimeout,
} from './options/validation.js';
import { Permit } from './permit.js';
import { ReadWriteLock } from './primitives/read-write-lock.js';
import { runHolding } from './primitives/run-holding.util.js';
import { Semaphore } from './primitives/semaphore.js';
import { ReadLock } from './read-lock.js';
import { LeaseScheduler } from './renewal/lease-scheduler.js';
import { driftFor, monotonicNow } from './util/clock.util.js';
import { jittered } from './util/delay.util.js';
import { DeadlineWatch } from './util/deadline-watch.js';
import { escapeGlob } from './util/escape-glob.util.js';
import { createLockToken, waiterId } from './util/token.util.js';
import { type Membership, WakeupHub } from './wakeup/wakeup-hub.js';
import type { InMemoryLockStore } from './memory/in-memory-lock-store.js';

/**
 * An ioredis client the manager can take locks on.
 * @publicApi
 */
export type LockClient = Redis | Cluster;

/**
 * What a manager takes locks on: one client (a standalone or Sentinel `Redis`, or a `Cluster`),
 * 3 to 15 clients of independent Redis masters for a Redlock quorum, or an `InMemoryLockStore`
 * (one process only: for tests).
 * @publicApi
 */
export type LockClients = LockClient | readonly Redis[] | InMemoryLockStore;

/**
 * What a lock is taken on: one key, or several keys taken together, all or none.
 * @publicApi
 */
export type LockKey = string | readonly string[];

const ACQUIRE_OPTIONS = ['ttl', 'waitTimeout', 'signal', 'autoExtend', 'fair'] as const;
/** The options every kind of lease takes (`acquire()` adds `fair`, semaphores `weight`). */
const LEASE_OPTIONS = ['ttl', 'waitTimeout', 'signal', 'autoExtend'] as const;

/** More keys than this in one lock is a design problem, not a lock. */
const MAX_KEYS_PER_LOCK = 64;

/**
 * However short the wait, an attempt already sent gets this long to be answered: waitTimeout
 * bounds the waiting for a holder, not the round trip to a healthy Redis.
 */
const ATTEMPT_TIMEOUT_FLOOR_MS = 1_000;

/**
 * One acquisition, validated, of any kind of lease.
 * @internal
 */
export interface AcquireRequest {
  /** The key, or the keys joined with " + " (messages, events). */
  readonly key: string;
  readonly keys: readonly string[];
  readonly redisKeys: readonly string[];
  readonly ttl: number;
  readonly waitTimeout: number;
  readonly signal: AbortSignal | undefined;
  readonly autoExtend: boolean;
  /** How the lease is taken, renewed and released in Redis: the backend for plain locks. */
  readonly driver: LeaseDriver;
  readonly kind: LeaseKind;
  /** Set for semaphore permits. */
  readonly params: LeaseParams | undefined;
}

/** The validated options common to every kind of lease. */
type LeaseSettings = Pick<AcquireRequest, 'ttl' | 'waitTimeout' | 'signal' | 'autoExtend'>;

type AttemptOutcome =
  | AcquireReply
  | { readonly acquired: false; readonly failure: 'error'; readonly error: unknown }
  | { readonly acquired: false; readonly failure: 'deadline' | 'aborted' };

/**
 * Distributed locks on Redis, framework-free.
 *
 * One manager per Redis client and application is enough: it shares one pub/sub connection for
 * all waiters and one timer for all renewals. It never closes the client it is given.
 *
 * The same API works on one Redis, a Sentinel-managed master (optionally with
 * `waitForReplicas`), a Redis Cluster (locks whose keys span slots included), and a Redlock
 * quorum of independent masters (pass an array of 3 or 5 clients).
 *
 * @example
 * import Redis from 'ioredis';
 * import { LockManager } from 'nestjs-redis-lock/core';
 *
 * const manager = new LockManager(new Redis(), { ttl: 10_000 });
 * // Redlock over five independent masters: a lock is held while a majority (3) holds it.
 * const quorum = new LockManager(urls.map((url) => new Redis(url)), { nodeTimeout: 50 });
 * const total = await manager.withLock(`account:${id}`, async (lock) => {
 *   const balance = await readBalance(id);
 *   return writeBalance(id, balance - amount, lock.fencingToken);
 * });
 * @publicApi
 */
export class LockManager extends EventEmitter<LockManagerEvents> {
  /** The manager's options with every default filled in. */
  readonly options: ResolvedLockManagerOptions;

  private readonly backend: LockBackend;
  private readonly hub: WakeupHub;
  private readonly scheduler: LeaseScheduler;
  private readonly deadlines = new DeadlineWatch();
  private readonly defaultRequest: Omit<AcquireRequest, 'key' | 'keys' | 'redisKeys'>;
  private drivers: PrimitiveDriverSet | undefined;
  private closing: Promise<void> | undefined;

  /**
   * @param client an ioredis `Redis` (standalone or Sentinel) or `Cluster` client, or an array
   *   of 3 to 15 `Redis` clients of independent masters for a Redlock quorum. The manager
   *   registers its Lua scripts on them with `defineCommand` and never closes them.
   * @param options defaults for every lock; see {@link LockManagerOptions}.
   * @throws InvalidLockOptionsError when a client or an option is invalid
   */
  constructor(client: LockClients, options?: LockManagerOptions) {
    super();
    this.options = resolveLockManagerOptions(options);
    this.backend = createBackend(client, this.options);
    this.hub = new WakeupHub(() => this.backend.createWakeupTransport());
    this.scheduler = new LeaseScheduler({
      validUntil: (sentAt, ttl) => this.validUntil(sentAt, ttl),
      onExtended: (lease) => this.emitExtended(lease, true),
      onLost: (lease, reason) => this.lose(lease, reason),
    });
    this.defaultRequest = {
      ttl: this.options.ttl,
      waitTimeout: this.options.waitTimeout,
      signal: undefined,
      autoExtend: this.options.autoExtend,
      driver: this.backend,
      kind: 'lock',
      params: undefined,
    };
  }

  /**
   * Acquires the lock on `key`, waiting up to `waitTimeout` while someone else holds it.
   *
   * One round trip when the lock is free. While waiting, the caller is woken by the holder's
   * release (pub/sub), with jittered polling only as a safety net.
   *
   * @param key the resource to lock, for example `order:42`, or several resources to lock
   *   together, all or none, for example `['account:1', 'account:2']`. Several keys are taken in
   *   one canonical (sorted) order, so two callers locking the same set never deadlock. A
   *   `{hash tag}` in a key is kept, so related locks can share a Cluster slot.
   * With `fair: true` waiters get the lock in the order they asked for it (see
   * {@link AcquireOptions.fair}).
   *
   * @throws LockTimeoutError when the lock is still held after `waitTimeout`
   * @throws LockAbortedError when `options.signal` aborts first
   * @throws InvalidLockOptionsError for an invalid key or option (before any Redis call)
   * @throws UnsupportedPrimitiveError for `fair: true` on a Redlock quorum
   * @example
   * const lock = await manager.acquire(`stock:${sku}`, { ttl: 5_000, waitTimeout: 2_000 });
   * try {
   *   await decrementStock(sku);
   * } finally {
   *   await lock.release();
   * }
   *
   * // Both accounts or neither, whatever order other callers name them in:
   * await using transfer = await manager.acquire([`account:${from}`, `account:${to}`]);
   */
  async acquire(key: LockKey, options?: AcquireOptions): Promise<Lock> {
    const request = this.prepare(key, options, this.options.waitTimeout);
    return (await this.take(request, 'acquire')) as Lock;
  }

  /**
   * Like `acquire()`, but returns `null` instead of throwing when the lock is held by someone
   * else. Makes a single attempt unless `waitTimeout` is given.
   *
   * @throws LockBackendError when Redis fails (a failure is not reported as "held")
   * @example
   * const lock = await manager.tryAcquire('job:nightly-report', { ttl: 60_000 });
   * if (!lock) return; // another instance runs it
   */
  async tryAcquire(key: LockKey, options?: AcquireOptions): Promise<Lock | null> {
    const request = this.prepare(key, options, 0);
    return (await this.take(request, 'try')) as Lock | null;
  }

  /**
   * Acquires the lock, runs `fn` while renewing the lock (about every ttl/3), and releases it
   * when `fn` settles. Returns what `fn` returns.
   *
   * If `fn` throws, its error is rethrown after the release. If `fn` succeeds but the lock was
   * lost meanwhile (`lock.signal` aborted), the result is discarded and `LockLostError` is
   * thrown: the work ran without exclusion for a while.
   *
   * @example
   * await manager.withLock(`cache:${key}`, async (lock) => {
   *   const value = await expensiveRebuild({ signal: lock.signal });
   *   await cache.set(key, value);
   * });
   */
  async withLock<T>(
    key: LockKey,
    fn: (lock: Lock) => T | Promise<T>,
    options?: AcquireOptions,
  ): Promise<T> {
    if (typeof fn !== 'function') {
      throw new InvalidLockOptionsError(
        'fn',
        `withLock() needs the work to run as its second argument, a function, but received ${describeValue(fn)}.`,
      );
    }
    const request = this.prepare(key, options, this.options.waitTimeout);
    const lock = (await this.take(
      options?.autoExtend === undefined ? { ...request, autoExtend: true } : request,
      'acquire',
    )) as Lock;
    return runHolding(lock, fn);
  }

  /**
   * A distributed semaphore: at most `permits` holders at once, across every process that uses
   * the same key and limit. Use it to cap concurrency (at most 5 calls to a payment provider,
   * at most 2 exports running). Creating it costs nothing; each `acquire()` is one round trip
   * when a permit is free.
   *
   * Each permit has its own expiry in Redis, measured by the server's clock: a holder that
   * crashes frees its permits after their ttl, and no permit is lost or counted twice. Permits
   * have no fencing token (several holders at once are the point of a semaphore).
   *
   * @param key names the semaphore, for example `payments`; a `{hash tag}` is kept
   * @param options `permits`: the limit, the same for every caller of the key
   * @throws InvalidLockOptionsError for an invalid key or permits (before any Redis call)
   * @throws UnsupportedPrimitiveError on a Redlock quorum
   * @example
   * const payments = manager.semaphore('payments', { permits: 5 });
   * const receipt = await payments.withPermit(() => provider.charge(order));
   */
  semaphore(key: string, options: SemaphoreOptions): Semaphore {
    return new Semaphore(this, key, options);
  }

  /**
   * A distributed read-write lock: any number of readers at once, or one writer. A writer that
   * waits keeps new readers out, so a steady stream of readers cannot starve writers; writers
   * get the lock in arrival order. Use it for data read often and written rarely (a report, a
   * configuration, a cache entry that is rebuilt now and then).
   *
   * @param key names the lock, for example `report:2024-06`; a `{hash tag}` is kept. A plain
   *   lock cannot use the same name.
   * @throws InvalidLockOptionsError for an invalid key (before any Redis call)
   * @throws UnsupportedPrimitiveError on a Redlock quorum
   * @example
   * const report = manager.readWriteLock(`report:${month}`);
   * const rows = await report.withRead(() => loadReport(month));
   * await report.withWrite((lock) => rebuildReport(month, lock.fencingToken));
   */
  readWriteLock(key: string): ReadWriteLock {
    return new ReadWriteLock(this, key);
  }

  /**
   * Reads the state of a lock in Redis: whether it is held, its remaining ttl, the holder's
   * fencing token and owner label. One round trip; it takes nothing.
   */
  async inspect(key: string): Promise<LockInfo> {
    validateKey(key, this.options.maxKeyLength);
    try {
      return { key, ...(await this.backend.inspect(this.options.keyPrefix + key)) };
    } catch (error) {
      throw this.backendError(key, 'inspect', error);
    }
  }

  /**
   * Deletes the lock on `key` whoever holds it, and wakes its waiters. For operators clearing a
   * lock left by a crashed process before its ttl ends; the former holder learns of the loss at
   * its next renewal or release. Returns whether a holder was removed.
   *
   * With `fencingToken` (from `inspect()` or `list()`), only that holder is removed: if the lock
   * changed hands since it was looked at, the new holder keeps it and `false` is returned.
   * @example
   * const info = await manager.inspect('job:nightly');
   * if (info.held) await manager.forceRelease('job:nightly', { fencingToken: info.fencingToken! });
   */
  async forceRelease(key: string, options?: { fencingToken?: number }): Promise<boolean> {
    validateKey(key, this.options.maxKeyLength);
    const fencingToken = validateForceReleaseOptions(options);
    try {
      return await this.backend.forceRelease(this.options.keyPrefix + key, fencingToken);
    } catch (error) {
      throw this.backendError(key, 'forceRelease', error);
    }
  }

  /**
   * The locks held right now, by anyone, page by page: `SCAN` (never `KEYS`) over the lock
   * keys under `keyPrefix`, then one read per page of what each key holds. The library's own
   * keys (fencing counters, `#...`) and keys that are not locks are left out.
   *
   * - A lock is listed once, even if SCAN returns its key twice; a lock taken or released during
   *   the listing may or may not be listed (SCAN's guarantee: every key present for the whole
   *   listing is returned).
   * - Redis Cluster: every master is scanned in turn.
   * - Redlock quorum: every master is scanned; a key found on any master is listed when a
   *   majority holds it (as `inspect()` reads it: the smallest ttl, the largest fencing token).
   *   Fails with `LockQuorumError` at the end when fewer than a majority of the masters answered
   *   (the listing could have missed locks).
   *
   * Options are checked when it is called, before any Redis call; Redis errors reject the
   * iteration with `LockBackendError`.
   *
   * @param options `match`, a glob over keys without the prefix (default `'*'`), and `count`,
   *   the SCAN page hint (default 100)
   * @throws InvalidLockOptionsError for an invalid option
   * @example
   * for await (const lock of manager.list({ match: 'order:*' })) {
   *   console.log(lock.key, lock.ttl, lock.fencingToken, lock.owner);
   * }
   */
  list(options?: ListLocksOptions): AsyncIterableIterator<HeldLockInfo> {
    const { match, count } = validateListOptions(options, this.options.maxKeyLength);
    return this.listHeld(match, count);
  }

  /**
   * Whether locks can be taken right now, and what each Redis server answered: `PING` (with its
   * round trip) and `SCRIPT LOAD` of the acquire script on the server, every Cluster master, or
   * every quorum master (healthy while a majority answers). Never throws for Redis trouble: it
   * reports it, each probe bounded by `timeout`.
   *
   * @throws InvalidLockOptionsError for an invalid option
   * @example
   * const health = await manager.checkHealth({ timeout: 500 });
   * if (!health.healthy) logger.error(health.error);
   */
  checkHealth(options?: CheckHealthOptions): Promise<LockHealth> {
    const { timeout } = validateCheckHealthOptions(options);
    return this.backend.probe(timeout);
  }

  /** Number of locks this manager holds right now. */
  get heldCount(): number {
    return this.scheduler.size;
  }

  /**
   * Stops the manager: pending waits reject with `LockManagerClosedError`, locks still held are
   * released (their signals abort with a `LockLostError` of reason `closed`), timers stop and
   * the pub/sub connection the manager opened is closed. The client it was given stays open.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async *listHeld(match: string, count: number): AsyncIterableIterator<HeldLockInfo> {
    const { keyPrefix } = this.options;
    const reserved = keyPrefix + RESERVED_KEY_START;
    // SCAN may return a key twice (while Redis resizes its table); a listing names it once.
    const seen = new Set<string>();
    try {
      for await (const names of this.backend.scan(escapeGlob(keyPrefix) + match, count)) {
        const fresh = names.filter(
          (name) => name.startsWith(keyPrefix) && !name.startsWith(reserved) && !seen.has(name),
        );
        for (const name of fresh) seen.add(name);
        // Sent together: one round trip per page on a single server.
        const infos = await Promise.all(fresh.map((name) => this.backend.inspect(name)));
        for (let i = 0; i < fresh.length; i++) {
          const info = infos[i]!;
          // Released since the SCAN, or a hash that is not a lock of this library.
          if (!info.held) continue;
          yield {
            key: fresh[i]!.slice(keyPrefix.length),
            held: true,
            ttl: info.ttl ?? -1,
            fencingToken: info.fencingToken ?? 0,
            owner: info.owner,
          };
        }
      }
    } catch (error) {
      throw this.backendError(match, 'list', error);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Acquiring

  private prepare(
    input: LockKey,
    options: AcquireOptions | undefined,
    waitTimeout: number,
  ): AcquireRequest {
    const { keys, key } = this.normalizeKeys(input);
    const { keyPrefix } = this.options;
    const redisKeys = keys.map((k) => keyPrefix + k);
    if (options === undefined) return { ...this.defaultRequest, waitTimeout, key, keys, redisKeys };
    validateOptionsObject(options, 'acquire');
    assertKnownOptions(options, ACQUIRE_OPTIONS, 'acquire');
    const settings = this.leaseSettings(options, waitTimeout);
    if (options.fair === undefined || !validateBoolean(options.fair, 'fair')) {
      return { ...this.defaultRequest, ...settings, key, keys, redisKeys };
    }
    if (keys.length > 1) {
      throw new InvalidLockOptionsError(
        'fair',
        `fair: true takes one key, but received ${keys.length} (${key}). Queue on one parent key, or drop fair for the multi-key lock.`,
      );
    }
    const driver = this.primitiveDrivers('fair lock', key).fair;
    return { ...settings, key, keys, redisKeys, driver, kind: 'lock', params: undefined };
  }

  /** ttl, waitTimeout, signal and autoExtend of `options`, validated, with the defaults. */
  private leaseSettings(
    options: Pick<AcquireOptions, 'ttl' | 'waitTimeout' | 'signal' | 'autoExtend'>,
    waitTimeout: number,
  ): LeaseSettings {
    return {
      ttl: options.ttl === undefined ? this.options.ttl : validateTtl(options.ttl),
      waitTimeout:
        options.waitTimeout === undefined ? waitTimeout : validateWaitTimeout(options.waitTimeout),
      signal: options.signal === undefined ? undefined : validateSignal(options.signal),
      autoExtend:
        options.autoExtend === undefined
          ? this.options.autoExtend
          : validateBoolean(options.autoExtend, 'autoExtend'),
    };
  }

  /**
   * The request of one lease of a semaphore or read-write lock, validated before any Redis call.
   * `extra` names the options the primitive adds (read by the primitive itself).
   * @internal
   */
  leaseRequest(
    kind: Exclude<LeaseKind, 'lock'>,
    key: string,
    options: unknown,
    mode: 'acquire' | 'try',
    extra: readonly string[] = [],
    params?: LeaseParams,
  ): AcquireRequest {
    // As for locks: acquire() waits the manager's waitTimeout by default, a try makes one attempt.
    const defaultWait = mode === 'acquire' ? this.options.waitTimeout : 0;
    const where =
      kind === 'permit' ? 'semaphore acquire' : `${kind === 'read-lock' ? 'read' : 'write'}`;
    const checked = validateOptionsObject(options, where);
    assertKnownOptions(checked, [...LEASE_OPTIONS, ...extra], where);
    const drivers = this.primitiveDrivers(kind === 'permit' ? 'semaphore' : 'read-write lock', key);
    return {
      ...this.leaseSettings(checked, defaultWait),
      key,
      keys: [key],
      redisKeys: [this.options.keyPrefix + key],
      driver:
        kind === 'permit' ? drivers.semaphore : kind === 'read-lock' ? drivers.read : drivers.write,
      kind,
      params,
    };
  }

  /**
   * The drivers of semaphores, read-write locks and fair locks; refused on a quorum.
   * @internal
   */
  primitiveDrivers(
    primitive: UnsupportedPrimitiveError['primitive'],
    key: string,
  ): PrimitiveDriverSet {
    this.drivers ??= this.backend.primitives();
    if (!this.drivers) throw new UnsupportedPrimitiveError(primitive, key);
    return this.drivers;
  }

  /**
   * Acquires the lease a request describes (any kind): waits, validity, renewal and events are
   * the same for every primitive.
   * @internal
   */
  takeLease(request: AcquireRequest, mode: 'acquire' | 'try'): Promise<Lease | null> {
    return this.take(request, mode);
  }

  /** One key, or several in canonical order without duplicates. */
  private normalizeKeys(input: LockKey): { keys: readonly string[]; key: string } {
    const { maxKeyLength } = this.options;
    if (!Array.isArray(input)) {
      const key = validateKey(input, maxKeyLength);
      return { keys: [key], key };
    }
    if (input.length === 0 || input.length > MAX_KEYS_PER_LOCK) {
      throw new InvalidLockOptionsError(
        'key',
        `A multi-key lock needs 1 to ${MAX_KEYS_PER_LOCK} keys, but received ${input.length}. ` +
          (input.length === 0
            ? 'An empty list would lock nothing: check how the keys are built.'
            : 'Lock a parent resource instead of each item.'),
      );
    }
    // Every caller takes the same set in the same (sorted) order, so none waits for another
    // while holding a key that one needs. The same key twice is one resource: taken once.
    const keys = [...new Set(input.map((k) => validateKey(k, maxKeyLength)))].sort();
    return { keys, key: keys.join(' + ') };
  }

  private async take(request: AcquireRequest, mode: 'acquire' | 'try'): Promise<Lease | null> {
    const { key, redisKeys, ttl, signal, driver } = request;
    if (this.closing) throw new LockManagerClosedError();
    if (signal?.aborted) throw new LockAbortedError(key, { cause: signal.reason });

    const token = createLockToken();
    const startedAt = monotonicNow();
    const deadline = startedAt + request.waitTimeout;
    const { minDelay, maxDelay, factor } = this.options.retry;
    let delay = minDelay;
    let attempts = 0;
    let membership: Membership | undefined;
    let lastError: unknown;
    let lastAttempt = false;
    let waitStarted = false;
    /** Whether the last wait ended with a wakeup (the attempt after it may still lose). */
    let woken = false;
    let outcome: 'acquired' | 'timeout' | 'aborted' | 'error' = 'error';
    const aborted = (): RedisLockError => {
      outcome = 'aborted';
      return this.failed(
        key,
        startedAt,
        'aborted',
        new LockAbortedError(key, { cause: signal?.reason }),
      );
    };

    try {
      // The channel this call would wait on, when its first key is the one held.
      const firstChannel = this.backend.channelFor(redisKeys[0]!);
      for (;;) {
        // Before the call joins a channel, other waiters of this process may already listen
        // to it: then a release during this attempt cannot go unnoticed.
        const listening = membership ?? this.hub.peek(firstChannel);
        const channelAtSend = membership?.channel ?? firstChannel;
        const activeAtSend = listening?.active === true;
        const generationAtSend = listening?.generation ?? 0;
        const sentAt = monotonicNow();
        attempts++;
        const reply = await this.attempt(request, token, deadline);

        let holderTtl = -1;
        let blockedBy = 0;
        if (reply.acquired) {
          if (this.validUntil(sentAt, ttl) > monotonicNow()) {
            outcome = 'acquired';
            if (reply.shortfall)
              this.emitReplicaShortfall(key, reply.fencingToken, reply.shortfall);
            // A read lock or a permit with room to spare: the next waiter here may get in too.
            if (reply.passOn) membership?.passOn();
            return this.grant(request, token, reply.fencingToken, sentAt, startedAt, attempts);
          }
          // The reply arrived after the lock's validity had passed (Redis or this process
          // stalled): the lock cannot be relied on. Release it and try again.
          await driver.release(redisKeys, token).catch(() => undefined);
          lastError = undefined;
        } else if ('holderTtl' in reply) {
          holderTtl = reply.holderTtl;
          blockedBy = reply.blockedBy;
          lastError = undefined;
        } else if (reply.failure === 'aborted') {
          throw aborted();
        } else if (reply.failure === 'deadline') {
          lastError ??= new Error(`Redis did not answer within ${ATTEMPT_TIMEOUT_FLOOR_MS} ms`);
          lastAttempt = true;
        } else if (reply.failure === 'error') {
          // The driver's own verdict (a semaphore limit that differs from the stored one).
          if (reply.error instanceof RedisLockError) {
            throw this.failed(key, startedAt, 'error', reply.error);
          }
          if (this.isFatal(reply.error)) {
            throw this.failed(
              key,
              startedAt,
              'error',
              this.backendError(key, 'acquire', reply.error),
            );
          }
          lastError = reply.error;
        }

        if (this.closing) throw new LockManagerClosedError();
        const now = monotonicNow();
        if (lastAttempt || now >= deadline) {
          outcome = 'timeout';
          return this.giveUp(request, mode, startedAt, lastError);
        }

        // Listen for the release of the key that blocked us (for a multi-key lock it may change
        // from one attempt to the next).
        const channel = driver.channelFor(redisKeys[blockedBy] ?? redisKeys[0]!);
        if (membership && lastError === undefined && membership.channel !== channel) {
          membership.leave();
          membership = undefined;
        }
        if (!membership) {
          if (!waitStarted) {
            waitStarted = true;
            this.emitWaitStarted(key, startedAt);
          }
          membership = this.hub.join(channel);
          const noticed =
            activeAtSend &&
            channelAtSend === channel &&
            membership.active &&
            membership.generation === generationAtSend;
          if (lastError === undefined && !noticed) {
            // A release announced before the subscription was active would be missed: once
            // listening, look again before waiting.
            const ready = await this.waitFor(membership.ready(), deadline, signal);
            if (ready === 'aborted') {
              throw aborted();
            }
            continue;
          }
        } else if (
          lastError === undefined &&
          ((!activeAtSend && membership.active) || membership.generation !== generationAtSend)
        ) {
          // A release was announced while the attempt was in flight, or the subscription came
          // up after it was sent: look again at once.
          continue;
        }

        const untilDeadline = deadline - now;
        const pause = Math.max(
          1,
          Math.min(jittered(delay), untilDeadline, holderTtl >= 0 ? holderTtl + 1 : Infinity),
        );
        delay = Math.min(delay * factor, maxDelay);
        // A queued waiter (fair lock, writer) is also woken when a release names it.
        const waited = await membership.wait(
          pause,
          signal,
          driver.addressed ? waiterId(token) : undefined,
          woken,
        );
        woken = waited === 'woken';
        if (waited === 'aborted') {
          throw aborted();
        }
        if (waited === 'closed') throw new LockManagerClosedError();
        if (monotonicNow() >= deadline) {
          if (waited === 'woken') {
            // This waiter gives up: let the next one use the wakeup.
            membership.passOn();
            outcome = 'timeout';
            return this.giveUp(request, mode, startedAt, lastError);
          }
          // The pause ended at the deadline: one last look, then give up.
          lastAttempt = true;
        }
      }
    } finally {
      membership?.leave();
      // A waiter that gives up leaves its place in a queue at once (sent after its last attempt
      // on the same connection, so Redis sees them in that order).
      if (outcome !== 'acquired' && driver.abandon) {
        driver.abandon(redisKeys, token).catch(() => undefined);
      }
      if (waitStarted) this.emitWaitEnded(key, startedAt, outcome);
    }
  }

  /** One acquire attempt, bounded by the deadline (and a floor) and the caller's signal. */
  private attempt(
    request: AcquireRequest,
    token: string,
    deadline: number,
  ): Promise<AttemptOutcome> {
    const { redisKeys, signal, driver } = request;
    const pending = driver.acquire(
      redisKeys,
      token,
      request.ttl,
      this.options.owner,
      request.params,
    );
    const budget = Math.max(deadline - monotonicNow(), ATTEMPT_TIMEOUT_FLOOR_MS);
    if (budget === Infinity && !signal) {
      return pending.then(
        (reply) => reply,
        (error: unknown) => ({ acquired: false, failure: 'error', error }),
      );
    }
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: AttemptOutcome): void => {
        if (settled) return;
        settled = true;
        watched?.cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => finish({ acquired: false, failure: 'aborted' });
      const watched =
        budget === Infinity
          ? undefined
          : this.deadlines.watch(monotonicNow() + budget, () =>
              finish({ acquired: false, failure: 'deadline' }),
            );
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (reply) => {
          // Given up on before the reply came: a lock taken now must not linger until its ttl.
          if (settled && reply.acquired) void this.releaseQuietly(driver, redisKeys, token);
          finish(reply);
        },
        (error: unknown) => finish({ acquired: false, failure: 'error', error }),
      );
    });
  }

  private grant(
    request: AcquireRequest,
    token: string,
    fencingToken: number,
    sentAt: number,
    startedAt: number,
    attempts: number,
  ): Lease {
    const { key, keys, redisKeys, ttl, autoExtend, driver, kind, params } = request;
    const lease = new LockLease(
      key,
      keys,
      redisKeys,
      token,
      fencingToken,
      ttl,
      this.validUntil(sentAt, ttl),
      autoExtend ? LeaseScheduler.renewAt(sentAt, ttl) : Infinity,
      sentAt,
      autoExtend,
      driver,
      kind,
      params,
    );
    this.scheduler.add(lease);
    if (this.listenerCount('acquired') > 0) {
      this.emit('acquired', {
        key,
        token: token.slice(0, 8),
        fencingToken,
        waitedMs: monotonicNow() - startedAt,
        attempts,
      });
    }
    return kind === 'lock' || kind === 'write-lock'
      ? new Lock(lease, this)
      : kind === 'read-lock'
        ? new ReadLock(lease, this)
        : new Permit(lease, this);
  }

  private giveUp(
    request: AcquireRequest,
    mode: 'acquire' | 'try',
    startedAt: number,
    lastError: unknown,
  ): null {
    const { key } = request;
    const waitedMs = monotonicNow() - startedAt;
    if (mode === 'try') {
      if (lastError !== undefined) {
        throw this.failed(key, startedAt, 'error', this.backendError(key, 'acquire', lastError));
      }
      if (this.listenerCount('acquireFailed') > 0) {
        this.emit('acquireFailed', { key, waitedMs, reason: 'held' });
      }
      return null;
    }
    throw this.failed(
      key,
      startedAt,
      'timeout',
      new LockTimeoutError(
        key,
        waitedMs,
        lastError === undefined
          ? { kind: request.kind }
          : { cause: this.topologyError(key, lastError), kind: request.kind },
      ),
    );
  }

  /** Waits for `promise`, the deadline or the signal, whichever comes first. */
  private async waitFor(
    promise: Promise<void>,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<'done' | 'deadline' | 'aborted'> {
    if (signal?.aborted) return 'aborted';
    return new Promise((resolve) => {
      const finish = (outcome: 'done' | 'deadline' | 'aborted'): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => finish('aborted');
      const timer = setTimeout(
        () => finish('deadline'),
        Math.min(Math.max(0, deadline - monotonicNow()), 2_147_483_647),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      void promise.then(() => finish('done'));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Holding (called by Lock)

  /** @internal */
  releaseLease(lease: LockLease): Promise<void> {
    if (lease.state === 'released') return Promise.resolve();
    if (lease.state === 'lost') return Promise.reject(lease.lostError);
    if (lease.releasing) return lease.releasing;
    lease.state = 'releasing';
    // Renewal stops now, before the release is even sent.
    this.scheduler.delete(lease);
    lease.releasing = this.sendRelease(lease);
    return lease.releasing;
  }

  private async sendRelease(lease: LockLease): Promise<void> {
    const { key, redisKeys, token } = lease;
    let result;
    try {
      // Past the validity window the key is gone anyway: do not hang on an unreachable Redis.
      const budget = Math.max(ATTEMPT_TIMEOUT_FLOOR_MS, lease.expiresAt - monotonicNow() + 1_000);
      result = await this.deadlines.bound(lease.driver.release(redisKeys, token), budget);
    } catch (error) {
      lease.markReleased();
      const failure =
        error instanceof QuorumShortfall
          ? this.backendError(key, 'release', error)
          : new LockBackendError(
              key,
              'release',
              `Redis did not confirm the release of lock "${key}" (${errorMessage(error)}). ` +
                `It expires by itself within ${lease.ttl} ms at the latest.`,
              { cause: error },
            );
      if (this.listenerCount('releaseFailed') > 0) {
        this.emit('releaseFailed', {
          key,
          token: token.slice(0, 8),
          fencingToken: lease.fencingToken,
          heldMs: monotonicNow() - lease.acquiredAt,
          error: failure,
        });
      }
      throw failure;
    }
    if (result === 'ok') {
      lease.markReleased();
      if (this.listenerCount('released') > 0) {
        this.emit('released', {
          key,
          token: token.slice(0, 8),
          fencingToken: lease.fencingToken,
          heldMs: monotonicNow() - lease.acquiredAt,
        });
      }
      return;
    }
    this.lose(lease, result);
    throw lease.lostError;
  }

  /** @internal */
  async extendLease(lease: LockLease, ttl: number | undefined): Promise<void> {
    const newTtl = ttl === undefined ? lease.ttl : validateTtl(ttl);
    this.assertHeld(lease);
    const sentAt = monotonicNow();
    let result;
    try {
      const budget = Math.max(ATTEMPT_TIMEOUT_FLOOR_MS, lease.expiresAt - sentAt);
      result = await this.deadlines.bound(
        lease.driver.extend({
          redisKeys: lease.redisKeys,
          token: lease.token,
          ttl: newTtl,
          fencingToken: lease.fencingToken,
        }),
        budget,
      );
    } catch (error) {
      throw this.backendError(lease.key, 'extend', error);
    }
    if (result !== 'ok') {
      this.lose(lease, result);
      throw lease.lostError;
    }
    // Released or declared lost while the extension was in flight.
    this.assertHeld(lease);
    lease.ttl = newTtl;
    lease.expiresAt = this.validUntil(sentAt, newTtl);
    if (lease.autoExtend) lease.renewAt = LeaseScheduler.renewAt(sentAt, newTtl);
    this.scheduler.reschedule(lease);
    this.emitExtended(lease, false);
  }

  private assertHeld(lease: LockLease): void {
    if (lease.state === 'lost') throw lease.lostError;
    if (lease.state !== 'held') throw new LockReleasedError(lease.key);
  }

  /** Declares a lease lost; returns the clean-up release when one is sent. */
  private lose(lease: LockLease, reason: LockLostReason): Promise<void> | undefined {
    this.scheduler.delete(lease);
    if (!lease.markLost(reason)) return undefined;
    let cleanup: Promise<void> | undefined;
    if (reason === 'unconfirmed' || reason === 'closed') {
      // Redis may still hold the key for us: free it for others as soon as Redis answers.
      cleanup = this.releaseQuietly(lease.driver, lease.redisKeys, lease.token);
    }
    if (this.listenerCount('lost') > 0) {
      this.emit('lost', {
        key: lease.key,
        token: lease.token.slice(0, 8),
        fencingToken: lease.fencingToken,
        heldMs: monotonicNow() - lease.acquiredAt,
        error: lease.lostError!,
      });
    }
    return cleanup;
  }

  private releaseQuietly(
    driver: LeaseDriver,
    redisKeys: readonly string[],
    token: string,
  ): Promise<void> {
    // Owner-checked, so harmless if the key already belongs to someone else.
    return driver.release(redisKeys, token).then(
      () => undefined,
      () => undefined,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** End of the validity window of a lock whose request was sent at `sentAt` (monotonic ms). */
  private validUntil(sentAt: number, ttl: number): number {
    return sentAt + ttl - driftFor(ttl, this.options.driftFactor);
  }

  private isFatal(error: unknown): boolean {
    if (this.backend.isClosed()) return true;
    // Redis rejected the command itself (wrong type, ACL, script error): retrying cannot help.
    // Connection trouble and transient states (LOADING, BUSY, TRYAGAIN, READONLY during a
    // failover, CLUSTERDOWN) are retried until the deadline.
    return (
      error instanceof Error &&
      error.name === 'ReplyError' &&
      /^(WRONGTYPE|NOPERM|ERR|NOSCRIPT)/.test(error.message)
    );
  }

  /** The public error for what a topology reported, or the error itself. */
  private topologyError(key: string, error: unknown): unknown {
    return error instanceof QuorumShortfall || error instanceof ReplicaShortfall
      ? this.backendError(key, 'acquire', error)
      : error;
  }

  private backendError(
    key: string,
    operation: LockBackendError['operation'],
    error: unknown,
  ): LockBackendError {
    if (error instanceof QuorumShortfall) {
      return new LockQuorumError(key, operation, error.answered, error.needed, error.masters, {
        cause: error.failures.length === 1 ? error.failures[0] : new AggregateError(error.failures),
        confirmed: error.confirmed,
        outcomes: error.outcomes,
      });
    }
    if (error instanceof ReplicaShortfall) {
      return new LockReplicationError(key, error.acknowledged, error.required, error.timeout);
    }
    const message = errorMessage(error);
    if (message.startsWith('WRONGTYPE')) {
      return new LockBackendError(
        key,
        operation,
        `Redis key "${this.options.keyPrefix}${key}" exists and is not a lock of this library (a data key or another primitive uses the name). Use another lock key or keyPrefix.`,
        { cause: error },
      );
    }
    if (this.backend.isClosed()) {
      return new LockBackendError(
        key,
        operation,
        `Cannot ${operation} lock "${key}": the Redis client was closed. Close the LockManager before the client, at shutdown.`,
        { cause: error },
      );
    }
    return new LockBackendError(
      key,
      operation,
      `Redis failed to ${operation} lock "${key}": ${message}. Check that Redis is reachable.`,
      { cause: error },
    );
  }

  private failed(
    key: string,
    startedAt: number,
    reason: 'timeout' | 'aborted' | 'error',
    error: RedisLockError,
  ): RedisLockError {
    if (this.listenerCount('acquireFailed') > 0) {
      this.emit('acquireFailed', { key, waitedMs: monotonicNow() - startedAt, reason, error });
    }
    return error;
  }

  private emitExtended(lease: LockLease, automatic: boolean): void {
    if (this.listenerCount('extended') === 0) return;
    this.emit('extended', {
      key: lease.key,
      token: lease.token.slice(0, 8),
      fencingToken: lease.fencingToken,
      ttl: lease.ttl,
      automatic,
    });
  }

  private emitReplicaShortfall(
    key: string,
    fencingToken: number,
    shortfall: { acknowledged: number; required: number },
  ): void {
    if (this.listenerCount('replicaShortfall') > 0) {
      this.emit('replicaShortfall', { key, fencingToken, ...shortfall });
    }
  }

  private emitWaitStarted(key: string, startedAt: number): void {
    if (this.listenerCount('waitStarted') > 0) {
      this.emit('waitStarted', { key, waitedMs: monotonicNow() - startedAt });
    }
  }

  private emitWaitEnded(
    key: string,
    startedAt: number,
    outcome: 'acquired' | 'timeout' | 'aborted' | 'error',
  ): void {
    if (this.listenerCount('waitEnded') > 0) {
      this.emit('waitEnded', { key, waitedMs: monotonicNow() - startedAt, outcome });
    }
  }

  private async shutdown(): Promise<void> {
    const held = this.scheduler.held();
    this.scheduler.close();
    const releases = held.map((lease) => this.lose(lease, 'closed'));
    await Promise.all([...releases, this.hub.close()]);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
