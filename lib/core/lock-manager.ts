import { EventEmitter } from 'node:events';
import { AcquireCall } from './acquire/acquire-call.js';
import type { AcquireContext } from './acquire/acquire-context.interface.js';
import { type AcquireRequest, AcquireRequests, type LockKey } from './acquire/acquire-request.js';
import { createBackend } from './backend/create-backend.js';
import type { PrimitiveDriverSet } from './backend/lease-driver.interface.js';
import { acquireChannel } from './diagnostics/lock-channels.js';
import type { LockBackend } from './backend/lock-backend.interface.js';
import { InvalidLockOptionsError } from './errors/invalid-lock-options.error.js';
import { LockManagerClosedError } from './errors/lock-manager-closed.error.js';
import { RedisFailure } from './errors/redis-failure.js';
import { warnPubSubDenied } from './events/warn-pubsub-denied.util.js';
import { listHeld } from './inspection/list-held.util.js';
import { UnsupportedPrimitiveError } from './errors/unsupported-primitive.error.js';
import type { AcquireOptions } from './interfaces/acquire-options.interface.js';
import type { CheckHealthOptions } from './interfaces/check-health-options.interface.js';
import type { LeaseKind } from './interfaces/lease-kind.interface.js';
import type {
  ListLocksOptions,
  ListLocksPageOptions,
} from './interfaces/list-locks-options.interface.js';
import type { LockHealth } from './interfaces/lock-health.interface.js';
import type { FreeLockInfo, HeldLockInfo } from './interfaces/lock-info.interface.js';
import type { LockManagerEvents } from './interfaces/lock-manager-events.interface.js';
import type { LockTarget } from './interfaces/lock-clients.interface.js';
import type { LockManagerOptions } from './interfaces/lock-manager-options.interface.js';
import type { SemaphoreOptions } from './interfaces/semaphore-options.interface.js';
import type { LeaseOf } from './lease/lease-handle.util.js';
import { LeaseKeeper } from './lease/lease-keeper.js';
import type { LeaderElectionOptions } from './interfaces/leader-election-options.interface.js';
import { LeaderElection, validateLeaderElection } from './leader/leader-election.js';
import type { Lock } from './lock.js';
import { describeValue } from './options/describe-value.util.js';
import {
  validateCheckHealthOptions,
  validateForceReleaseOptions,
  validateListArguments,
} from './options/operator-options.js';
import {
  resolveLockManagerOptions,
  type ResolvedLockManagerOptions,
} from './options/resolve-manager-options.js';
import { validateKey } from './options/validation.js';
import { ManagerHost } from './primitives/manager-host.js';
import type { PrimitiveHost } from './primitives/primitive-host.interface.js';
import { ReadWriteLock } from './primitives/read-write-lock.js';
import { runHolding } from './primitives/run-holding.util.js';
import { Semaphore } from './primitives/semaphore.js';
import { DeadlineWatch } from './util/deadline-watch.js';
import { InFlight } from './util/in-flight.js';
import { LinkedList } from './util/linked-list.js';
import { WakeupHub } from './wakeup/wakeup-hub.js';

export type { LockKey } from './acquire/acquire-request.js';
export type {
  LockClient,
  LockClients,
  LockTarget,
  QuorumMasterClient,
} from './interfaces/lock-clients.interface.js';

/**
 * How long `close()` waits for the commands already sent (an acquire in flight, releases) to be
 * answered, so a late grant is given back before the manager reports itself closed.
 */
const CLOSE_DRAIN_MS = 2_000;

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
 * import { Redis } from 'ioredis';
 * import { LockManager } from 'nestjs-redis-lock/core';
 *
 * const manager = new LockManager(new Redis(), { ttl: 10_000 });
 * // Redlock over five independent masters: a lock is held while a majority (3) holds it.
 * const quorum = new LockManager(urls.map((url) => new Redis(url)), { nodeTimeout: 50 });
 * const total = await manager.withLock(`account:${id}`, async (lock) => {
 *   const balance = await readBalance(id);
 *   return writeBalance(id, balance - amount, lock.fencingToken);
 * });
 *
 * Over 400 lines with its comments, on purpose: the engine's public facade, mostly the JSDoc of
 * its methods; each body checks its arguments and hands over to acquire/, lease/, inspection/
 * or primitives/.
 * @publicApi
 */
export class LockManager extends EventEmitter<LockManagerEvents> {
  /** The manager's options with every default filled in. */
  readonly options: ResolvedLockManagerOptions;

  private readonly backend: LockBackend;
  private readonly hub: WakeupHub;
  private readonly keeper: LeaseKeeper;
  private readonly requests: AcquireRequests;
  private readonly failures: RedisFailure;
  private readonly deadlines = new DeadlineWatch();
  private readonly inFlight = new InFlight();
  /** The acquire calls under way (each adds and removes itself): close() cancels them. */
  private readonly calls = new LinkedList<{ cancel(): void }>();
  private readonly acquireContext: AcquireContext;
  /** What the semaphores and read-write locks of this manager ask it for. */
  private readonly host: PrimitiveHost;
  private drivers: PrimitiveDriverSet | undefined;
  private closing: Promise<void> | undefined;

  /**
   * @param client a Redis client of ioredis 5/6 or iovalkey (`Redis`, standalone or Sentinel,
   *   or `Cluster`) or of node-redis 5/6 (`createClient()`, `createCluster()`,
   *   `createSentinel()`, connected), or an array of 3 to 15 clients of independent masters
   *   for a Redlock quorum (see {@link LockClient}). The manager never closes them; on
   *   ioredis it registers its Lua scripts with `defineCommand`.
   * @param options defaults for every lock; see {@link LockManagerOptions}.
   * @throws InvalidLockOptionsError when a client or an option is invalid
   */
  constructor(client: LockTarget, options?: LockManagerOptions) {
    super();
    this.options = resolveLockManagerOptions(options);
    const backend = createBackend(client, this.options, options?.nodeTimeout !== undefined);
    this.backend = backend;
    this.hub = new WakeupHub(
      () => backend.createWakeupTransport(),
      undefined,
      (error) => warnPubSubDenied(this, backend.channelPattern(), error),
    );
    this.failures = new RedisFailure({
      keyPrefix: this.options.keyPrefix,
      isClosed: () => backend.isClosed(),
      followsFailover: backend.followsFailover,
    });
    this.keeper = new LeaseKeeper({
      driftFactor: this.options.driftFactor,
      events: this,
      deadlines: this.deadlines,
      inFlight: this.inFlight,
      failures: this.failures,
    });
    this.requests = new AcquireRequests(
      this.options,
      backend.plain,
      (primitive, key) => this.primitiveDrivers(primitive, key),
      () => (this.drivers ??= backend.primitives()),
    );
    this.acquireContext = {
      options: this.options,
      hub: this.hub,
      keeper: this.keeper,
      deadlines: this.deadlines,
      inFlight: this.inFlight,
      failures: this.failures,
      events: this,
      calls: this.calls,
      channelFor: (redisKey) => backend.plain.channelFor(redisKey),
      unreachable: () => backend.unreachable(),
    };
    this.host = new ManagerHost(
      this.options,
      this.requests,
      (primitive, key) => this.primitiveDrivers(primitive, key),
      (request, mode) => this.take(request, mode),
    );
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
  acquire(key: LockKey, options?: AcquireOptions): Promise<Lock> {
    // Not async: the call's own promise is returned as it is, without another around it.
    // Whatever is refused before it starts still rejects, never throws.
    try {
      return this.take(this.requests.lock(key, options, this.options.waitTimeout), 'acquire');
    } catch (error) {
      return Promise.reject(error);
    }
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
  tryAcquire(key: LockKey, options?: AcquireOptions): Promise<Lock | null> {
    try {
      return this.take(this.requests.lock(key, options, 0), 'try');
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Acquires the lock, runs `fn` while renewing the lock (about every ttl/3), and releases it
   * when `fn` settles. Returns what `fn` returns.
   *
   * If `fn` throws, its error is rethrown after the release. If `fn` succeeds but the lock was
   * lost meanwhile (`lock.signal` aborted), the result is discarded and `LockLostError` is
   * thrown: the work ran without exclusion for a while. A release that Redis does not confirm
   * (no answer, a dropped connection) keeps the result: the work ran under the lock, which
   * expires by itself within its ttl; the `releaseFailed` event reports it.
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
    const request = this.requests.lock(key, options, this.options.waitTimeout);
    const lock = await this.take(
      options?.autoExtend === undefined ? { ...request, autoExtend: true } : request,
      'acquire',
    );
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
    return Semaphore.create(this.host, key, options);
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
    return ReadWriteLock.create(this.host, key);
  }

  /**
   * Runs for leader of `name` among every process that calls it with the same name: the
   * candidate that holds the lock `name` leads, renewing it about every ttl/3, and the others
   * wait for it (woken by its release, or at the end of its ttl when it died). So exactly one
   * candidate leads while it stays healthy, and leadership moves within the ttl (plus a round
   * trip) when the leader dies or is cut off from Redis.
   *
   * `onElected(signal, term)` starts the leader's work; `signal` aborts when the term ends,
   * before another candidate can be elected whenever this process is running to notice (a
   * `stop()`, a renewal that did not get through in time, `close()`). A process that was
   * frozen (SIGSTOP, a debugger) learns it lost leadership only when it runs again: give
   * `term.fencingToken`, which grows with every term, to the storage the leader writes to.
   * After a term the candidate runs again, until `stop()` (or `options.signal`).
   *
   * @param name the election, and the key of its leader lock (`keyPrefix` applies)
   * @throws InvalidLockOptionsError for an invalid name or option (before any Redis call)
   * @throws LockManagerClosedError after `close()`
   * @example
   * const election = manager.electLeader('billing:scheduler', {
   *   ttl: 10_000,
   *   onElected: (signal, term) => runScheduler({ signal, fencingToken: term.fencingToken }),
   *   onRevoked: (reason) => logger.warn(`no longer the scheduler: ${String(reason)}`),
   * });
   * // On shutdown: steps down (the signal aborts first), then releases the lock.
   * await election.stop();
   */
  electLeader(name: string, options: LeaderElectionOptions): LeaderElection {
    const valid = validateLeaderElection(name, options, this.options.maxKeyLength);
    if (this.closing) throw new LockManagerClosedError();
    return new LeaderElection(this, valid.name, valid.options);
  }

  /**
   * Reads the state of a lock in Redis: whether it is held, its remaining ttl, the holder's
   * fencing token and owner label. One round trip; it takes nothing.
   */
  async inspect(key: string): Promise<FreeLockInfo | HeldLockInfo> {
    validateKey(key, this.options.maxKeyLength);
    try {
      return { key, ...(await this.backend.inspect(this.options.keyPrefix + key)) };
    } catch (error) {
      throw this.failures.backendError(key, 'inspect', error);
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
      throw this.failures.backendError(key, 'forceRelease', error);
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
   * @param match a glob over keys without the prefix (default `'*'`, every lock)
   * @param options `count`, the SCAN page hint (default 100)
   * @throws InvalidLockOptionsError for an invalid option
   * @example
   * for await (const lock of manager.list('order:*')) {
   *   console.log(lock.key, lock.ttl, lock.fencingToken, lock.owner);
   * }
   */
  list(match?: string, options?: ListLocksPageOptions): AsyncIterableIterator<HeldLockInfo>;
  /** @deprecated since 0.2 (removed in 0.3): pass the glob first, `list('order:*', { count })`. */
  list(options?: ListLocksOptions): AsyncIterableIterator<HeldLockInfo>;
  list(
    first?: string | ListLocksOptions,
    options?: ListLocksPageOptions,
  ): AsyncIterableIterator<HeldLockInfo> {
    const max = this.options.maxKeyLength;
    const { match, count } = validateListArguments(first, options, max);
    return listHeld(this.backend, this.failures, this.options.keyPrefix, match, count);
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
    return this.keeper.size;
  }

  /**
   * Stops the manager: pending waits reject with `LockManagerClosedError`, locks still held are
   * released (their signals abort with a `LockLostError` of reason `closed`), timers stop and
   * the pub/sub connection the manager opened is closed. The client it was given stays open.
   * It waits up to 2 s for the commands already sent to be answered, so that a lock granted by
   * a late reply is given back before it resolves; a reply later than that (Redis stalled) is
   * still dealt with when it comes, on the client.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** The drivers of semaphores, read-write locks and fair locks; refused on a quorum. */
  private primitiveDrivers(
    primitive: UnsupportedPrimitiveError['primitive'],
    key: string,
  ): PrimitiveDriverSet {
    this.drivers ??= this.backend.primitives();
    if (!this.drivers) throw new UnsupportedPrimitiveError(primitive, key);
    return this.drivers;
  }

  /**
   * Acquires the lease a request describes (any kind): waits, validity, renewal and events are
   * the same for every primitive. A call in `acquire` mode ends with the lease or throws.
   */
  private take<K extends LeaseKind>(
    request: AcquireRequest<K>,
    mode: 'acquire',
  ): Promise<LeaseOf<K>>;
  private take<K extends LeaseKind>(
    request: AcquireRequest<K>,
    mode: 'try',
  ): Promise<LeaseOf<K> | null>;
  private take<K extends LeaseKind>(
    request: AcquireRequest<K>,
    mode: 'acquire' | 'try',
  ): Promise<LeaseOf<K> | null>;
  private take<K extends LeaseKind>(
    request: AcquireRequest<K>,
    mode: 'acquire' | 'try',
  ): Promise<LeaseOf<K> | null> {
    if (!acquireChannel.hasSubscribers) return this.run(request, mode);
    const { key, keys, kind, ttl, waitTimeout } = request;
    return acquireChannel.tracePromise(() => this.run(request, mode), {
      key,
      keys,
      kind,
      mode,
      ttl,
      waitTimeout,
    });
  }

  private run<K extends LeaseKind>(
    request: AcquireRequest<K>,
    mode: 'acquire' | 'try',
  ): Promise<LeaseOf<K> | null> {
    if (this.closing) return Promise.reject(new LockManagerClosedError());
    return new AcquireCall(this.acquireContext, request, mode).run();
  }

  private async shutdown(): Promise<void> {
    const calls = [...this.calls];
    for (const call of calls) call.cancel();
    this.keeper.closeAll();
    await this.hub.close();
    // The calls end at once; what they (and the releases) sent is waited for, bounded.
    await this.inFlight.drain(CLOSE_DRAIN_MS);
    this.deadlines.close();
  }
}
