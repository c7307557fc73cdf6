import { hostname } from 'node:os';
import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import type { LockManagerOptions } from '../interfaces/lock-manager-options.interface.js';
import { toLockConnection } from '../redis/connection/to-lock-connection.js';
import { describeValue } from './describe-value.util.js';
import {
  MAX_TIMER_MS,
  assertKnownOptions,
  validateBoolean,
  validateDelay,
  validateOptionsObject,
  validateTtl,
  validateWaitTimeout,
} from './validation.js';

/**
 * Manager options with every default filled in, frozen (`LockManager.options`).
 * @publicApi
 */
export interface ResolvedLockManagerOptions {
  readonly keyPrefix: string;
  readonly ttl: number;
  readonly waitTimeout: number;
  readonly autoExtend: boolean;
  readonly fair: boolean;
  readonly retry: { readonly minDelay: number; readonly maxDelay: number; readonly factor: number };
  readonly driftFactor: number;
  readonly owner: string;
  readonly maxKeyLength: number;
  readonly subscriber: LockManagerOptions['subscriber'];
  readonly nodeTimeout: number;
  readonly waiterTtl: number;
  readonly waitForReplicas:
    | {
        readonly replicas: number;
        readonly timeout: number;
        readonly onShortfall: 'fail' | 'report';
      }
    | undefined;
}

/** @internal */
export const LOCK_MANAGER_DEFAULTS = Object.freeze({
  keyPrefix: 'lock:',
  ttl: 30_000,
  waitTimeout: 10_000,
  autoExtend: false,
  fair: true,
  retry: Object.freeze({ minDelay: 50, maxDelay: 1_000, factor: 2 }),
  driftFactor: 0.01,
  maxKeyLength: 1024,
  nodeTimeout: 200,
  waiterTtl: 5_000,
  waitForReplicasTimeout: 100,
});

/** Every option a LockManager takes (the Nest module passes the same ones through). @internal */
export const LOCK_MANAGER_OPTION_NAMES = [
  'keyPrefix',
  'ttl',
  'waitTimeout',
  'autoExtend',
  'fair',
  'retry',
  'driftFactor',
  'owner',
  'maxKeyLength',
  'subscriber',
  'nodeTimeout',
  'waiterTtl',
  'waitForReplicas',
] as const satisfies ReadonlyArray<keyof LockManagerOptions>;
// And every option of the type is listed: one added to LockManagerOptions must be added above.
const _everyOptionListed: [
  Exclude<keyof LockManagerOptions, (typeof LOCK_MANAGER_OPTION_NAMES)[number]>,
] extends [never]
  ? true
  : never = true;
/** Below this, renewing a place (every third of it) would be most of what a waiter does. */
const MIN_WAITER_TTL_MS = 100;

const KNOWN_RETRY_OPTIONS = ['minDelay', 'maxDelay', 'factor'] as const satisfies ReadonlyArray<
  keyof NonNullable<LockManagerOptions['retry']>
>;
const KNOWN_WAIT_OPTIONS = ['replicas', 'timeout', 'onShortfall'] as const satisfies ReadonlyArray<
  keyof NonNullable<LockManagerOptions['waitForReplicas']>
>;

/**
 * Validates manager options and fills in the defaults, once, so the hot path never re-checks them.
 * @internal
 */
export function resolveLockManagerOptions(input?: LockManagerOptions): ResolvedLockManagerOptions {
  const options = validateOptionsObject(input, 'LockManager') as LockManagerOptions;
  assertKnownOptions(options, LOCK_MANAGER_OPTION_NAMES, 'LockManager');

  const keyPrefix = options.keyPrefix ?? LOCK_MANAGER_DEFAULTS.keyPrefix;
  if (typeof keyPrefix !== 'string' || keyPrefix.length === 0) {
    throw new InvalidLockOptionsError(
      'keyPrefix',
      `keyPrefix must be a non-empty string such as "lock:", but received ${describeValue(keyPrefix)}. ` +
        'Without a prefix, lock keys could collide with your data keys.',
    );
  }

  const retry = resolveRetry(options.retry);
  const driftFactor = resolveDriftFactor(options.driftFactor);
  const maxKeyLength = resolveMaxKeyLength(options.maxKeyLength);
  const waiterTtl = resolveWaiterTtl(options.waiterTtl);
  const owner = options.owner ?? `${hostname()}:${process.pid}`;
  if (typeof owner !== 'string' || owner.length > 256) {
    throw new InvalidLockOptionsError(
      'owner',
      `owner must be a string of at most 256 characters (for example "api-3:1234"), but received ${describeValue(owner)}.`,
    );
  }

  const subscriber = options.subscriber;
  if (subscriber !== undefined && toLockConnection(subscriber) === undefined) {
    throw new InvalidLockOptionsError(
      'subscriber',
      `subscriber must be a Redis connection of the same client library as the manager's (ioredis, iovalkey or node-redis), but received ${describeValue(subscriber)}.`,
    );
  }

  const nodeTimeout = validateDelay(
    options.nodeTimeout ?? LOCK_MANAGER_DEFAULTS.nodeTimeout,
    'nodeTimeout',
  );

  return Object.freeze({
    keyPrefix,
    ttl: validateTtl(options.ttl ?? LOCK_MANAGER_DEFAULTS.ttl, 'ttl'),
    waitTimeout: validateWaitTimeout(
      options.waitTimeout ?? LOCK_MANAGER_DEFAULTS.waitTimeout,
      'waitTimeout',
    ),
    autoExtend: validateBoolean(
      options.autoExtend ?? LOCK_MANAGER_DEFAULTS.autoExtend,
      'autoExtend',
    ),
    fair: validateBoolean(options.fair ?? LOCK_MANAGER_DEFAULTS.fair, 'fair'),
    retry,
    driftFactor,
    owner,
    maxKeyLength,
    subscriber,
    nodeTimeout,
    waiterTtl,
    waitForReplicas: resolveWaitForReplicas(options.waitForReplicas),
  });
}

function resolveRetry(input: LockManagerOptions['retry']): ResolvedLockManagerOptions['retry'] {
  const retryInput = validateOptionsObject(input, 'retry') as NonNullable<
    LockManagerOptions['retry']
  >;
  assertKnownOptions(retryInput, KNOWN_RETRY_OPTIONS, 'retry');
  const minDelay = validateDelay(
    retryInput.minDelay ?? LOCK_MANAGER_DEFAULTS.retry.minDelay,
    'retry.minDelay',
  );
  const maxDelay = validateDelay(
    retryInput.maxDelay ?? Math.max(minDelay, LOCK_MANAGER_DEFAULTS.retry.maxDelay),
    'retry.maxDelay',
  );
  if (maxDelay < minDelay) {
    throw new InvalidLockOptionsError(
      'retry.maxDelay',
      `retry.maxDelay (${maxDelay}) must not be below retry.minDelay (${minDelay}).`,
    );
  }
  const factor = retryInput.factor ?? LOCK_MANAGER_DEFAULTS.retry.factor;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 10) {
    throw new InvalidLockOptionsError(
      'retry.factor',
      `retry.factor must be a number from 1 to 10, but received ${describeValue(factor)}.`,
    );
  }
  return Object.freeze({ minDelay, maxDelay, factor });
}

function resolveDriftFactor(input: unknown): number {
  const driftFactor = input ?? LOCK_MANAGER_DEFAULTS.driftFactor;
  if (
    typeof driftFactor !== 'number' ||
    !Number.isFinite(driftFactor) ||
    driftFactor < 0 ||
    driftFactor >= 0.5
  ) {
    throw new InvalidLockOptionsError(
      'driftFactor',
      `driftFactor must be a number from 0 to below 0.5 (0.01 means 1% of the ttl), but received ${describeValue(driftFactor)}.`,
    );
  }
  return driftFactor;
}

function resolveMaxKeyLength(input: unknown): number {
  const maxKeyLength = input ?? LOCK_MANAGER_DEFAULTS.maxKeyLength;
  if (
    typeof maxKeyLength !== 'number' ||
    !Number.isInteger(maxKeyLength) ||
    maxKeyLength < 1 ||
    maxKeyLength > 65_536
  ) {
    throw new InvalidLockOptionsError(
      'maxKeyLength',
      `maxKeyLength must be a whole number from 1 to 65536, but received ${describeValue(maxKeyLength)}.`,
    );
  }
  return maxKeyLength;
}

function resolveWaiterTtl(input: unknown): number {
  const waiterTtl = input ?? LOCK_MANAGER_DEFAULTS.waiterTtl;
  if (
    typeof waiterTtl !== 'number' ||
    !Number.isInteger(waiterTtl) ||
    waiterTtl < MIN_WAITER_TTL_MS ||
    waiterTtl > MAX_TIMER_MS
  ) {
    throw new InvalidLockOptionsError(
      'waiterTtl',
      `waiterTtl must be a whole number of milliseconds from ${MIN_WAITER_TTL_MS} to ${MAX_TIMER_MS}, but received ${describeValue(waiterTtl)}. ` +
        'It bounds how long a dead waiter of a fair lock holds up the others; live waiters renew their place every third of it.',
    );
  }
  return waiterTtl;
}

function resolveWaitForReplicas(
  input: LockManagerOptions['waitForReplicas'],
): ResolvedLockManagerOptions['waitForReplicas'] {
  if (input === undefined) return undefined;
  const options = validateOptionsObject(input, 'waitForReplicas') as NonNullable<typeof input>;
  assertKnownOptions(options, KNOWN_WAIT_OPTIONS, 'waitForReplicas');
  const { replicas } = options;
  if (
    typeof replicas !== 'number' ||
    !Number.isInteger(replicas) ||
    replicas < 1 ||
    replicas > 64
  ) {
    throw new InvalidLockOptionsError(
      'waitForReplicas.replicas',
      `waitForReplicas.replicas must be a whole number from 1 to 64 (how many replicas must acknowledge a lock), but received ${describeValue(replicas)}. ` +
        'Leave waitForReplicas out to not wait for replicas.',
    );
  }
  const timeout = validateDelay(
    options.timeout ?? LOCK_MANAGER_DEFAULTS.waitForReplicasTimeout,
    'waitForReplicas.timeout',
  );
  const onShortfall = options.onShortfall ?? 'fail';
  if (onShortfall !== 'fail' && onShortfall !== 'report') {
    throw new InvalidLockOptionsError(
      'waitForReplicas.onShortfall',
      `waitForReplicas.onShortfall must be "fail" (release the lock and fail the attempt) or "report" (keep it, emit replicaShortfall), but received ${describeValue(onShortfall)}.`,
    );
  }
  return Object.freeze({ replicas, timeout, onShortfall });
}
