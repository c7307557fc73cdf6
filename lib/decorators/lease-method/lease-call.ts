import type { LockKey } from '../../core/lock-manager.js';
import type { RedisLockService } from '../../redis-lock.service.js';
import type { LeaseTarget } from '../../service/lease-target.interface.js';
import type { AnyFunction } from '../../utils/any-function.type.js';
import { type CallSettings, callSettingsOf } from './call-settings.js';
import { serviceOf } from './find-lock-service.js';
import { LeaseMethodErrors } from './lease-method-errors.js';
import type { LeaseMethodSpec } from './lease-method-spec.interface.js';

/**
 * A decorated method, prepared once when its class is defined: what each of its calls needs.
 * @internal
 */
export interface LeaseMethod {
  /** `@DistributedLock` or `@DistributedSemaphore`. */
  readonly decorator: string;
  /** `Class.method()`, for messages and the log. */
  readonly label: string;
  /** The method as written. */
  readonly original: AnyFunction;
  readonly errors: LeaseMethodErrors;
  /** The settings of its calls in the application of `service`. */
  settingsFor(service: RedisLockService): CallSettings;
  /** The key a call's arguments name; throws the method's own `LockKeyError`. */
  keysOf(args: unknown[]): LockKey;
  /** What to enter for `keys`; throws the method's own `LockKeyError`. */
  targetOf(keys: LockKey): LeaseTarget;
}

/**
 * One call of a decorated method, once its service, settings and key are known.
 * @internal
 */
export interface LeaseCall {
  readonly method: LeaseMethod;
  readonly instance: unknown;
  readonly args: unknown[];
  readonly keys: LockKey;
  readonly target: LeaseTarget;
  readonly service: RedisLockService;
  readonly settings: CallSettings;
}

/**
 * Prepares `original` to be called under `spec`'s lease.
 * @throws LockKeyError when the key's placeholders do not fit the method's parameters
 * @internal
 */
export function prepareLeaseMethod(
  spec: LeaseMethodSpec,
  original: AnyFunction,
  label: string,
): LeaseMethod {
  const errors = new LeaseMethodErrors(
    spec.decorator,
    label,
    spec.settings.mapErrors,
    spec.key.description,
  );
  const resolveKey = spec.key.bind(original, label);
  return {
    decorator: spec.decorator,
    label,
    original,
    errors,
    settingsFor: callSettingsOf(spec),
    keysOf: (args) => {
      try {
        return resolveKey(args);
      } catch (error) {
        throw errors.own(error);
      }
    },
    targetOf: (keys) => {
      try {
        return spec.target(keys);
      } catch (error) {
        throw errors.keyError(error);
      }
    },
  };
}

/**
 * Starts a call: finds the service, the settings and the key, before anything is acquired.
 * @throws LockServiceUnavailableError, or the method's own `LockKeyError`
 * @internal
 */
export function beginCall(method: LeaseMethod, instance: unknown, args: unknown[]): LeaseCall {
  const service = serviceOf(instance, method.label, method.decorator);
  const keys = method.keysOf(args);
  return {
    method,
    instance,
    args,
    keys,
    target: method.targetOf(keys),
    service,
    settings: method.settingsFor(service),
  };
}
