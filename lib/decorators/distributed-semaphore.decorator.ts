import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import type { LockKey } from '../core/lock-manager.js';
import { MAX_PERMITS, validateCount } from '../core/options/validation.js';
import type { DistributedSemaphoreOptions } from '../interfaces/distributed-semaphore-options.interface.js';
import { compileLockKey, type LockKeySource } from '../key/lock-key-template.js';
import { DISTRIBUTED_SEMAPHORE_METADATA } from '../redis-lock.constants.js';
import type { LeaseTarget } from '../service/lease-target.interface.js';
import type { LockableMethod } from './distributed-lock.decorator.js';
import { validateLeaseMethodSettings } from './lease-method/lease-method-settings.js';
import { wrapLeaseMethod } from './wrap-lease-method.util.js';

/** The engine accepts up to this many permits. */

/**
 * Runs the method holding a permit of a distributed semaphore: at most `permits` calls run at
 * once across every instance of the application (a concurrency limit). The permit is taken
 * before the method runs, renewed while it runs and released when it settles; a call that finds
 * every permit in use waits up to `waitTimeout`, then follows `onLocked` (`'throw'`: 409
 * Conflict for a client). Redis failures, lost permits (`onLost`) and `mapErrors` behave as
 * with `@DistributedLock`.
 *
 * The key takes the same forms as `@DistributedLock`'s (a template, or a function of the
 * arguments), but names one semaphore: `'payments'`, or `'exports:<tenantId>'` for one
 * semaphore per tenant. Inside the method, `RedisLockService.currentLease()` returns the permit.
 *
 * @param key the semaphore key: a template or a function of the arguments
 * @param options permits (required), weight, ttl, waitTimeout, autoExtend, onLocked, onLost,
 *   reentrant, mapErrors
 * @example
 * @DistributedSemaphore('payments', { permits: 5, waitTimeout: 2_000 })
 * async charge(order: Order) {
 *   return this.provider.charge(order);
 * }
 * @publicApi
 */
export function DistributedSemaphore<M extends LockableMethod = LockableMethod>(
  key: LockKeySource<Parameters<M>>,
  options: DistributedSemaphoreOptions<Parameters<M>>,
): <T extends M>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void {
  if (Array.isArray(key)) {
    throw new InvalidLockOptionsError(
      'key',
      `@DistributedSemaphore names one semaphore, but received a list of ${key.length} keys. Use one key, such as 'payments'.`,
    );
  }
  const compiled = compileLockKey(key, '@DistributedSemaphore');
  const { input, settings } = validateLeaseMethodSettings(options, '@DistributedSemaphore', [
    'permits',
    'weight',
  ]);
  const { permits, weight } = readPermits(input);

  return (target, propertyKey, descriptor) =>
    wrapLeaseMethod(
      {
        decorator: '@DistributedSemaphore',
        key: compiled,
        settings,
        acquire: weight === undefined ? {} : { weight },
        target: (resolved: LockKey): LeaseTarget => {
          if (typeof resolved !== 'string') {
            throw new InvalidLockOptionsError(
              'key',
              'A semaphore has one key, but the key function returned a list.',
            );
          }
          return { kind: 'permit', key: resolved, permits };
        },
        metadataKey: DISTRIBUTED_SEMAPHORE_METADATA,
        metadata: {
          key: compiled.description,
          options: Object.freeze({ ...settings, permits, ...(weight !== undefined && { weight }) }),
        },
      },
      target,
      propertyKey,
      descriptor as TypedPropertyDescriptor<unknown>,
    );
}

/** The semaphore's `permits` and a call's `weight`, checked when the class is defined. */
function readPermits(input: Record<string, unknown>): {
  permits: number;
  weight: number | undefined;
} {
  const permits = validateCount(input.permits, 'permits', MAX_PERMITS, () =>
    input.permits === undefined
      ? "@DistributedSemaphore needs the number of permits: @DistributedSemaphore('payments', { permits: 5 })."
      : '@DistributedSemaphore permits is how many calls may run at once.',
  );
  const weight =
    input.weight === undefined
      ? undefined
      : validateCount(
          input.weight,
          'weight',
          permits,
          () =>
            `@DistributedSemaphore weight is how many of the ${permits} permits one call takes.`,
        );
  return { permits, weight };
}
