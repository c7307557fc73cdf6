import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import type { CheckHealthOptions } from '../interfaces/check-health-options.interface.js';
import type { ListLocksOptions } from '../interfaces/list-locks-options.interface.js';
import { describeValue } from './describe-value.util.js';
import { assertKnownOptions, RESERVED_KEY_START, validateOptionsObject } from './validation.js';

/** SCAN COUNT above this makes single calls long enough to stall a busy Redis. */
const MAX_SCAN_COUNT = 10_000;
/** A health probe slower than this is a dead server, whatever the network. */
const MAX_PROBE_TIMEOUT_MS = 60_000;

/**
 * Checks the options of `LockManager.list()` and fills in the defaults.
 * @internal
 */
export function validateListOptions(
  input: unknown,
  maxKeyLength: number,
): { readonly match: string; readonly count: number } {
  const options = validateOptionsObject(input, 'list()') as ListLocksOptions;
  assertKnownOptions(options, ['match', 'count'], 'list()');
  const match = options.match ?? '*';
  if (typeof match !== 'string' || match.length === 0 || match.length > maxKeyLength) {
    throw new InvalidLockOptionsError(
      'match',
      `list() option match must be a non-empty glob of at most ${maxKeyLength} characters over lock keys without the prefix, such as "order:*", but received ${describeValue(match)}.`,
    );
  }
  if (match.startsWith(RESERVED_KEY_START)) {
    throw new InvalidLockOptionsError(
      'match',
      `list() option match "${match}" starts with "${RESERVED_KEY_START}", which only the library's own keys do: no lock can match it.`,
    );
  }
  const count = options.count ?? 100;
  if (
    typeof count !== 'number' ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > MAX_SCAN_COUNT
  ) {
    throw new InvalidLockOptionsError(
      'count',
      `list() option count must be a whole number from 1 to ${MAX_SCAN_COUNT} (keys per SCAN call), but received ${describeValue(count)}.`,
    );
  }
  return { match, count };
}

/**
 * Checks the arguments of `LockManager.list()`, either form: `(match?, { count })`, or the
 * older `({ match, count })`.
 * @internal
 */
export function validateListArguments(
  first: unknown,
  second: unknown,
  maxKeyLength: number,
): { readonly match: string; readonly count: number } {
  // The older form is an options object; anything else in first place is the glob (or a wrong one).
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    return validateListOptions(first, maxKeyLength);
  }
  const page = validateOptionsObject(second, 'list()') as { count?: unknown };
  assertKnownOptions(page, ['count'], 'list()');
  return validateListOptions({ ...page, match: first }, maxKeyLength);
}

/**
 * Checks the options of `LockManager.checkHealth()` and fills in the defaults.
 * @internal
 */
export function validateCheckHealthOptions(input: unknown): { readonly timeout: number } {
  const options = validateOptionsObject(input, 'checkHealth()') as CheckHealthOptions;
  assertKnownOptions(options, ['timeout'], 'checkHealth()');
  const timeout = options.timeout ?? 1_000;
  if (
    typeof timeout !== 'number' ||
    !Number.isInteger(timeout) ||
    timeout < 1 ||
    timeout > MAX_PROBE_TIMEOUT_MS
  ) {
    throw new InvalidLockOptionsError(
      'timeout',
      `checkHealth() option timeout must be a whole number of milliseconds from 1 to ${MAX_PROBE_TIMEOUT_MS}, but received ${describeValue(timeout)}.`,
    );
  }
  return { timeout };
}

/**
 * Checks the options of `LockManager.forceRelease()`; returns the fencing token to match, if any.
 * @internal
 */
export function validateForceReleaseOptions(input: unknown): number | undefined {
  const options = validateOptionsObject(input, 'forceRelease()') as { fencingToken?: unknown };
  assertKnownOptions(options, ['fencingToken'], 'forceRelease()');
  const { fencingToken } = options;
  if (fencingToken === undefined) return undefined;
  if (typeof fencingToken !== 'number' || !Number.isSafeInteger(fencingToken) || fencingToken < 1) {
    throw new InvalidLockOptionsError(
      'fencingToken',
      `forceRelease() option fencingToken must be the positive whole number inspect() or list() reported, but received ${describeValue(fencingToken)}.`,
    );
  }
  return fencingToken;
}
