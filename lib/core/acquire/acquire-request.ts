import type {
  LeaseDriver,
  LeaseParams,
  PrimitiveDriverSet,
} from '../backend/lease-driver.interface.js';
import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import type { UnsupportedPrimitiveError } from '../errors/unsupported-primitive.error.js';
import type { AcquireOptions } from '../interfaces/acquire-options.interface.js';
import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';
import {
  assertKnownOptions,
  validateBoolean,
  validateKey,
  validateOptionsObject,
  validateSignal,
  validateTtl,
  validateWaitTimeout,
} from '../options/validation.js';

/**
 * What a lock is taken on: one key, or several keys taken together, all or none.
 * @publicApi
 */
export type LockKey = string | readonly string[];

/**
 * One acquisition, validated, of any kind of lease.
 * @internal
 */
export interface AcquireRequest<K extends LeaseKind = LeaseKind> {
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
  readonly kind: K;
  /** Set for semaphore permits. */
  readonly params: LeaseParams | undefined;
}

/** The validated options common to every kind of lease. */
type LeaseSettings = Pick<AcquireRequest, 'ttl' | 'waitTimeout' | 'signal' | 'autoExtend'>;

const ACQUIRE_OPTIONS = [
  'ttl',
  'waitTimeout',
  'signal',
  'autoExtend',
  'fair',
] as const satisfies ReadonlyArray<keyof AcquireOptions>;
/** The options every kind of lease takes (`acquire()` adds `fair`, semaphores `weight`). */
const LEASE_OPTIONS = [
  'ttl',
  'waitTimeout',
  'signal',
  'autoExtend',
] as const satisfies ReadonlyArray<keyof AcquireOptions>;

/**
 * A request, its fields always in the same order: every request of a process has one shape,
 * so the code that reads them stays monomorphic (spreads of partial objects made several).
 */
function request<K extends LeaseKind = 'lock'>(
  key: string,
  keys: readonly string[],
  redisKeys: readonly string[],
  ttl: number,
  waitTimeout: number,
  signal: AbortSignal | undefined,
  autoExtend: boolean,
  driver: LeaseDriver,
  kind: K = 'lock' as K,
  params: LeaseParams | undefined = undefined,
): AcquireRequest<K> {
  return { key, keys, redisKeys, ttl, waitTimeout, signal, autoExtend, driver, kind, params };
}

/** More keys than this in one lock is a design problem, not a lock. */
const MAX_KEYS_PER_LOCK = 64;

/**
 * Turns what a caller passed into an {@link AcquireRequest}, checking every key and option
 * before any Redis call, with the manager's defaults filled in.
 * @internal
 */
export class AcquireRequests {
  private readonly plainDriver: LeaseDriver;
  private fairDefault: LeaseDriver | undefined;

  constructor(
    private readonly options: ResolvedLockManagerOptions,
    plainDriver: LeaseDriver,
    /** The drivers of the other primitives; throws where the topology has none. */
    private readonly primitives: (
      primitive: UnsupportedPrimitiveError['primitive'],
      key: string,
    ) => PrimitiveDriverSet,
    /** The same drivers, or undefined where the topology has none (a Redlock quorum). */
    private readonly availablePrimitives: () => PrimitiveDriverSet | undefined,
  ) {
    this.plainDriver = plainDriver;
  }

  /** A plain (fair or barging) lock; `waitTimeout` is the default wait of the calling method. */
  lock(
    input: LockKey,
    options: AcquireOptions | undefined,
    waitTimeout: number,
  ): AcquireRequest<'lock'> {
    const { keyPrefix } = this.options;
    // One key, the common case: no array of keys to normalize.
    const single = typeof input === 'string';
    const key = single ? validateKey(input, this.options.maxKeyLength) : '';
    const many = single ? undefined : this.normalizeKeys(input);
    const keys = many ? many.keys : [key];
    const name = many ? many.key : key;
    const redisKeys = many ? keys.map((k) => keyPrefix + k) : [keyPrefix + key];
    if (options === undefined) {
      const { ttl, autoExtend } = this.options;
      const driver = keys.length === 1 ? this.defaultDriver() : this.plainDriver;
      return request(name, keys, redisKeys, ttl, waitTimeout, undefined, autoExtend, driver);
    }
    validateOptionsObject(options, 'acquire');
    assertKnownOptions(options, ACQUIRE_OPTIONS, 'acquire');
    const settings = this.settings(options, waitTimeout);
    let driver: LeaseDriver;
    if (options.fair === undefined) {
      driver = keys.length === 1 ? this.defaultDriver() : this.plainDriver;
    } else if (!validateBoolean(options.fair, 'fair')) {
      driver = this.plainDriver;
    } else {
      if (keys.length > 1) {
        throw new InvalidLockOptionsError(
          'fair',
          `fair: true takes one key, but received ${keys.length} (${name}). Queue on one parent key, or drop fair for the multi-key lock.`,
        );
      }
      if (this.options.waitForReplicas) {
        throw new InvalidLockOptionsError(
          'fair',
          "fair: true cannot be combined with the manager's waitForReplicas: a fair lock is handed from holder to waiter inside Redis, where no WAIT can follow it. Drop fair for these locks, or drop waitForReplicas.",
        );
      }
      driver = this.primitives('fair lock', name).fair;
    }
    return request(
      name,
      keys,
      redisKeys,
      settings.ttl,
      settings.waitTimeout,
      settings.signal,
      settings.autoExtend,
      driver,
    );
  }

  /**
   * The driver of a single-key lock the caller did not choose: fair (queued, handed off) where
   * the manager's `fair` default and the topology allow it, barging otherwise (a Redlock quorum,
   * `waitForReplicas`).
   */
  private defaultDriver(): LeaseDriver {
    if (this.fairDefault === undefined) {
      this.fairDefault =
        this.options.fair && !this.options.waitForReplicas
          ? (this.availablePrimitives()?.fair ?? this.plainDriver)
          : this.plainDriver;
    }
    return this.fairDefault;
  }

  /**
   * One lease of a semaphore or read-write lock. `extra` names the options the primitive adds
   * (read by the primitive itself).
   */
  lease<K extends Exclude<LeaseKind, 'lock'>>(
    kind: K,
    key: string,
    options: unknown,
    mode: 'acquire' | 'try',
    extra: readonly string[] = [],
    params?: LeaseParams,
  ): AcquireRequest<K> {
    // As for locks: acquire() waits the manager's waitTimeout by default, a try makes one attempt.
    const defaultWait = mode === 'acquire' ? this.options.waitTimeout : 0;
    const where =
      kind === 'permit' ? 'semaphore acquire' : `${kind === 'read-lock' ? 'read' : 'write'}`;
    const checked = validateOptionsObject(options, where);
    assertKnownOptions(checked, [...LEASE_OPTIONS, ...extra], where);
    const drivers = this.primitives(kind === 'permit' ? 'semaphore' : 'read-write lock', key);
    const settings = this.settings(checked, defaultWait);
    return request(
      key,
      [key],
      [this.options.keyPrefix + key],
      settings.ttl,
      settings.waitTimeout,
      settings.signal,
      settings.autoExtend,
      kind === 'permit' ? drivers.semaphore : kind === 'read-lock' ? drivers.read : drivers.write,
      kind,
      params,
    );
  }

  /** ttl, waitTimeout, signal and autoExtend of `options`, validated, with the defaults. */
  private settings(
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
}
