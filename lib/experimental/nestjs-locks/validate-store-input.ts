import { InvalidLockOptionsError } from '../../core/errors/invalid-lock-options.error.js';
import { describeValue } from '../../core/options/describe-value.util.js';

// A UTF-16 surrogate without its partner: Redis receives strings as UTF-8, where it becomes
// U+FFFD, so two different keys (or owners) would be one in Redis.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A key or owner of the store: any string Redis keeps apart from every other one.
 * @internal
 */
export function validateStoreString(value: unknown, option: 'key' | 'owner'): string {
  if (typeof value !== 'string') {
    throw new InvalidLockOptionsError(
      option,
      `The lock store's ${option} must be a string, but received ${describeValue(value)}.`,
    );
  }
  if (option === 'owner' && value.length === 0) {
    throw new InvalidLockOptionsError(
      'owner',
      'The lock store needs a non-empty owner: a random string per acquisition, never reused (crypto.randomUUID() for example).',
    );
  }
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    throw new InvalidLockOptionsError(
      option,
      `The lock store's ${option} ${JSON.stringify(value.slice(0, 60))} has a lone UTF-16 surrogate at index ${lone.index}, which Redis would store as U+FFFD, so different ${option}s would be one. Build it from whole characters (String.prototype.isWellFormed() tells).`,
    );
  }
  return value;
}

/**
 * A ttl of the store: whole milliseconds, at least 1; weeks are fine (Redis takes 64-bit
 * expiries).
 * @internal
 */
export function validateStoreTtl(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidLockOptionsError(
      'ttl',
      `The lock store's ttl must be a whole number of milliseconds, at least 1, but received ${describeValue(value)}` +
        `${typeof value === 'string' ? ' (a string: convert it with Number() first)' : ''}.`,
    );
  }
  return value;
}
