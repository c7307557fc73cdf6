import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import { LockUpgradeError } from '../errors/lock-upgrade.error.js';
import type { ReadWriteAcquireOptions } from '../interfaces/read-write-acquire-options.interface.js';
import type { AcquireRequest } from '../acquire/acquire-request.js';
import type { Lock } from '../lock.js';
import { describeValue } from '../options/describe-value.util.js';
import { validateKey } from '../options/validation.js';
import type { ReadLock } from '../read-lock.js';
import type { PrimitiveHost } from './primitive-host.interface.js';
import { isReading, runReading } from './read-scope.util.js';
import { runHolding } from './run-holding.util.js';

/**
 * A distributed read-write lock, from `LockManager.readWriteLock(key)`: any number of readers
 * at once, or one writer.
 *
 * - Writers go first: a writer that waits keeps new readers out, so a steady stream of readers
 *   cannot starve it. Writers get the lock in arrival order. (The price: under a steady stream
 *   of writers, readers wait.)
 * - Each reader and the writer expire on their own, by the Redis server's clock: a holder that
 *   crashes frees its place after its ttl. A writer waiting in the queue that dies loses its
 *   place after the manager's `waiterTtl`.
 * - The write lock is a `Lock` with a fencing token; read locks have none.
 * - No upgrade: asking for the write lock inside `withRead()` of the same key throws
 *   `LockUpgradeError` at once instead of waiting for itself. Release the read lock first.
 * - One round trip to take a free lock, release or renew.
 *
 * @example
 * const config = manager.readWriteLock('config:pricing');
 * const prices = await config.withRead(() => loadPrices());
 * await config.withWrite(async (lock) => savePrices(next, lock.fencingToken));
 * @publicApi
 */
export class ReadWriteLock {
  /** The lock key, without the manager's `keyPrefix`. */
  readonly key: string;

  readonly #host: PrimitiveHost;

  /** @internal */
  static create(host: PrimitiveHost, key: string): ReadWriteLock {
    return new ReadWriteLock(host, key);
  }

  // Private: a read-write lock comes from LockManager.readWriteLock().
  private constructor(host: PrimitiveHost, key: string) {
    this.key = validateKey(key, host.options.maxKeyLength);
    host.assertSupported('read-write lock', this.key);
    this.#host = host;
  }

  /**
   * Takes a read lock, waiting up to `waitTimeout` while a writer holds the lock or waits for
   * it. You release it (or use `await using`).
   * @throws LockTimeoutError (`kind: 'read-lock'`) when still blocked after `waitTimeout`
   * @example
   * await using read = await report.read();
   * return await loadReport();
   */
  async read(options?: ReadWriteAcquireOptions): Promise<ReadLock> {
    return this.#host.take(this.request('read-lock', options, 'acquire'), 'acquire');
  }

  /** Like `read()`, but `null` instead of waiting when a writer holds or waits for the lock. */
  async tryRead(options?: ReadWriteAcquireOptions): Promise<ReadLock | null> {
    return this.#host.take(this.request('read-lock', options, 'try'), 'try');
  }

  /**
   * Takes the write lock, waiting up to `waitTimeout` for the readers to leave and the writers
   * before it in the queue to finish. You release it (or use `await using`).
   * @throws LockTimeoutError (`kind: 'write-lock'`) when still blocked after `waitTimeout`
   * @throws LockUpgradeError inside `withRead()` of the same lock (before any Redis call)
   * @example
   * await using lock = await report.write();
   * await saveReport(next, lock.fencingToken);
   */
  async write(options?: ReadWriteAcquireOptions): Promise<Lock> {
    return this.#host.take(this.request('write-lock', options, 'acquire'), 'acquire');
  }

  /** Like `write()`, but `null` instead of waiting when the lock is held or writers queue. */
  async tryWrite(options?: ReadWriteAcquireOptions): Promise<Lock | null> {
    return this.#host.take(this.request('write-lock', options, 'try'), 'try');
  }

  /**
   * Runs `fn` under a read lock, renewed while it runs, and releases it when `fn` settles.
   * Inside `fn`, asking for this lock's write lock throws `LockUpgradeError`.
   * @example
   * const rows = await report.withRead(() => db.query(reportSql));
   */
  async withRead<T>(
    fn: (lock: ReadLock) => T | Promise<T>,
    options?: ReadWriteAcquireOptions,
  ): Promise<T> {
    assertFunction(fn, 'withRead');
    const lock = await this.#host.take(
      this.request('read-lock', options, 'acquire', true),
      'acquire',
    );
    return runReading(this.#host.options, this.key, () => runHolding(lock, fn));
  }

  /**
   * Runs `fn` under the write lock, renewed while it runs, and releases it when `fn` settles.
   * If `fn` succeeds but the lock was lost meanwhile, `LockLostError` is thrown instead; a
   * release that Redis does not confirm keeps the result (see `LockManager.withLock`).
   * @example
   * await report.withWrite((lock) => rebuildReport({ fencingToken: lock.fencingToken }));
   */
  async withWrite<T>(
    fn: (lock: Lock) => T | Promise<T>,
    options?: ReadWriteAcquireOptions,
  ): Promise<T> {
    assertFunction(fn, 'withWrite');
    const lock = await this.#host.take(
      this.request('write-lock', options, 'acquire', true),
      'acquire',
    );
    return runHolding(lock, fn);
  }

  private request<K extends 'read-lock' | 'write-lock'>(
    kind: K,
    options: ReadWriteAcquireOptions | undefined,
    mode: 'acquire' | 'try',
    /** withRead/withWrite: renew while the work runs, unless autoExtend says otherwise. */
    renew = false,
  ): AcquireRequest<K> {
    const request = this.#host.request(kind, this.key, options, mode);
    if (kind === 'write-lock' && isReading(this.#host.options, this.key)) {
      throw new LockUpgradeError(this.key);
    }
    return renew && options?.autoExtend === undefined ? { ...request, autoExtend: true } : request;
  }
}

function assertFunction(fn: unknown, method: string): void {
  if (typeof fn !== 'function') {
    throw new InvalidLockOptionsError(
      'fn',
      `${method}() needs the work to run as its first argument, a function, but received ${describeValue(fn)}.`,
    );
  }
}
