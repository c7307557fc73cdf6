import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import { describeValue } from './describe-value.util.js';

/** Shortest accepted ttl: below this the drift margin eats the whole validity. */
export const MIN_TTL_MS = 10;
/** Longest delay a Node.js timer accepts; ttl and waitTimeout above it would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
/** Keys starting with this are the library's own bookkeeping keys (fencing counters). */
export const RESERVED_KEY_START = '#';

// A key segment that reads "undefined" or "NaN" is almost always `${value}` of a missing or
// broken value; "[object " is `${object}`. Such keys would silently make unrelated callers share
// one lock, so they are refused instead.
const SUSPICIOUS_SEGMENT = /(?:^|[^A-Za-z0-9_$])(undefined|NaN)(?:$|[^A-Za-z0-9_$])/;

// A UTF-16 surrogate without its partner. Redis receives keys as UTF-8, where a lone surrogate
// becomes U+FFFD: two different JavaScript keys would lock one Redis key, and the key's wakeup
// channel would never match the name a waiter listens on.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** String.prototype.isWellFormed (Node 20), natively; the regex where it is missing. */
function isWellFormed(key: string): boolean {
  const native = (key as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(key) : !LONE_SURROGATE.test(key);
}

/**
 * Checks one lock key (without the prefix) and returns it unchanged.
 * @internal
 */
export function validateKey(key: unknown, maxKeyLength: number): string {
  if (typeof key !== 'string') {
    throw new InvalidLockOptionsError(
      'key',
      `A lock key must be a non-empty string, but received ${describeValue(key)}. ` +
        'Build it from values you have checked, for example `order:${orderId}` once orderId is known to be defined.',
    );
  }
  if (key.length === 0) {
    throw new InvalidLockOptionsError(
      'key',
      'A lock key must not be empty: an empty key would make every caller share one lock. Name the resource, for example "order:42".',
    );
  }
  if (key.length > maxKeyLength) {
    throw new InvalidLockOptionsError(
      'key',
      `Lock key "${key.slice(0, 40)}..." is ${key.length} characters long; the limit is ${maxKeyLength}. ` +
        'Use a short id or a hash of the long part, or raise maxKeyLength.',
    );
  }
  const lone = isWellFormed(key) ? null : LONE_SURROGATE.exec(key);
  if (lone) {
    throw new InvalidLockOptionsError(
      'key',
      `Lock key ${JSON.stringify(key)} is not well-formed Unicode: it has a lone UTF-16 surrogate (\\u${lone[0].charCodeAt(0).toString(16)}) at index ${lone.index}, ` +
        'which Redis would store as U+FFFD, so different keys would share one lock. The key was probably cut in the middle of an emoji or other character: build it from whole characters (String.prototype.isWellFormed() tells).',
    );
  }
  if (key.startsWith(RESERVED_KEY_START)) {
    throw new InvalidLockOptionsError(
      'key',
      `Lock key "${key}" starts with "${RESERVED_KEY_START}", which is reserved for the library's own keys (fencing counters). Start it with a name instead.`,
    );
  }
  const suspicious =
    key.includes('undefined') || key.includes('NaN') ? SUSPICIOUS_SEGMENT.exec(key) : null;
  if (suspicious) {
    throw new InvalidLockOptionsError(
      'key',
      `Lock key "${key}" contains "${suspicious[1]}", which is what \`\${value}\` gives for a missing or invalid value. ` +
        'Check the value before building the key, otherwise every caller with a missing value would share this one lock.',
    );
  }
  if (key.includes('[object ')) {
    throw new InvalidLockOptionsError(
      'key',
      `Lock key "${key}" contains "[object ", which is what \`\${value}\` gives for an object. Use one of its fields, for example \`order:\${order.id}\`.`,
    );
  }
  return key;
}

/**
 * Checks a duration in milliseconds that must be a positive integer within [min, MAX_TIMER_MS].
 * @internal
 */
export function validateTtl(value: unknown, option = 'ttl'): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_TTL_MS ||
    value > MAX_TIMER_MS
  ) {
    throw new InvalidLockOptionsError(
      option,
      `${option} must be a whole number of milliseconds between ${MIN_TTL_MS} and ${MAX_TIMER_MS}, but received ${describeValue(value)}` +
        `${typeof value === 'string' ? ' (a string: convert it with Number() and check it first)' : ''}. ` +
        'For work of unknown length use autoExtend instead of a huge ttl.',
    );
  }
  return value;
}

/**
 * Checks a wait time in milliseconds: a non-negative integer up to MAX_TIMER_MS, or Infinity.
 * @internal
 */
export function validateWaitTimeout(value: unknown, option = 'waitTimeout'): number {
  if (value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new InvalidLockOptionsError(
      option,
      `${option} must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, or Infinity, but received ${describeValue(value)}. ` +
        'Use 0 for a single attempt.',
    );
  }
  return value;
}

/**
 * Checks a positive whole number of milliseconds (retry delays).
 * @internal
 */
export function validateDelay(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw new InvalidLockOptionsError(
      option,
      `${option} must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, but received ${describeValue(value)}.`,
    );
  }
  return value;
}

/** @internal */
export function validateBoolean(value: unknown, option: string): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidLockOptionsError(
      option,
      `${option} must be true or false, but received ${describeValue(value)}.`,
    );
  }
  return value;
}

/** @internal */
export function validateSignal(value: unknown): AbortSignal {
  if (!(value instanceof AbortSignal)) {
    throw new InvalidLockOptionsError(
      'signal',
      `signal must be an AbortSignal (for example AbortSignal.timeout(5000) or controller.signal), but received ${describeValue(value)}.`,
    );
  }
  return value;
}

/**
 * Rejects option names the caller misspelled: an ignored `timeout: 5000` would silently fall
 * back to the default wait.
 * @internal
 */
export function assertKnownOptions(options: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new InvalidLockOptionsError(
        name,
        `Unknown ${where} option "${name}". Known options: ${known.join(', ')}.`,
      );
    }
  }
}

/**
 * Checks that options were passed as a plain object (or omitted).
 * @internal
 */
export function validateOptionsObject(value: unknown, where: string): object {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidLockOptionsError(
      'options',
      `${where} options must be an object, but received ${describeValue(value)}.`,
    );
  }
  return value;
}

/** More permits than this make a rate limiter's job, not a semaphore's. @internal */
export const MAX_PERMITS = 10_000;

/**
 * A whole number from 1 to `max` (a semaphore's permits, a holder's weight), or a typed error
 * whose message ends with `hint()`.
 * @internal
 */
export function validateCount(
  value: unknown,
  option: string,
  max: number,
  hint: () => string,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidLockOptionsError(
      option,
      `${option} must be a whole number from 1 to ${max}, but received ${describeValue(value)}. ${hint()}`,
    );
  }
  return value;
}
