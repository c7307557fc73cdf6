import { InvalidLockOptionsError } from '../../core/errors/invalid-lock-options.error.js';
import { describeValue } from '../../core/options/describe-value.util.js';
import {
  assertKnownOptions,
  validateBoolean,
  validateOptionsObject,
  validateTtl,
  validateWaitTimeout,
} from '../../core/options/validation.js';
import type { MapLockErrors } from '../../exceptions/lock-error-mapper.interface.js';
import type { DistributedLockOptions } from '../../interfaces/distributed-lock-options.interface.js';
import type { LeaseMethodSettings, OnLocked, OnLost } from './lease-method-spec.interface.js';

/** The options both decorators take (each adds its own: `mode`, `fair`; `permits`, `weight`). */
const SETTINGS_OPTIONS = [
  'ttl',
  'waitTimeout',
  'autoExtend',
  'onLocked',
  'onLost',
  'reentrant',
  'mapErrors',
] as const satisfies ReadonlyArray<keyof DistributedLockOptions & keyof LeaseMethodSettings>;

/**
 * Validates the options every decorated method shares, and checks that no other option than
 * those and `extra` was given. Throws `InvalidLockOptionsError` when the class is defined.
 * @internal
 */
export function validateLeaseMethodSettings(
  options: unknown,
  decorator: string,
  extra: readonly string[],
): { input: Record<string, unknown>; settings: LeaseMethodSettings } {
  const input = validateOptionsObject(options, decorator) as Record<string, unknown>;
  assertKnownOptions(input, [...SETTINGS_OPTIONS, ...extra], decorator);
  const { onLocked, onLost, mapErrors } = input;
  assertOneOf(onLocked, decorator, 'onLocked', ['throw', 'skip'], 'a function');
  assertOneOf(onLost, decorator, 'onLost', ['throw', 'ignore'], 'a function');
  if (
    mapErrors !== undefined &&
    typeof mapErrors !== 'boolean' &&
    typeof mapErrors !== 'function'
  ) {
    throw new InvalidLockOptionsError(
      'mapErrors',
      `${decorator} option mapErrors must be true, false or a function (failure, host) => exception, but received ${describeValue(mapErrors)}.`,
    );
  }
  const settings: LeaseMethodSettings = {
    ...(input.ttl !== undefined && { ttl: validateTtl(input.ttl) }),
    ...(input.waitTimeout !== undefined && { waitTimeout: validateWaitTimeout(input.waitTimeout) }),
    ...(input.autoExtend !== undefined && {
      autoExtend: validateBoolean(input.autoExtend, 'autoExtend'),
    }),
    ...(input.reentrant !== undefined && {
      reentrant: validateBoolean(input.reentrant, 'reentrant'),
    }),
    ...(onLocked !== undefined && { onLocked: onLocked as OnLocked }),
    ...(onLost !== undefined && { onLost: onLost as OnLost }),
    ...(mapErrors !== undefined && { mapErrors: mapErrors as MapLockErrors }),
  };
  return { input, settings };
}

/** `value` is undefined, one of `words`, or a function. */
function assertOneOf(
  value: unknown,
  decorator: string,
  option: string,
  words: readonly [string, string],
  orElse: string,
): void {
  if (value === undefined || words.includes(value as string) || typeof value === 'function') {
    return;
  }
  throw new InvalidLockOptionsError(
    option,
    `${decorator} option ${option} must be '${words[0]}', '${words[1]}' or ${orElse}, but received ${describeValue(value)}.`,
  );
}
