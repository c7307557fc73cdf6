import { Inject } from '@nestjs/common';
import { LockServiceUnavailableError } from '../../errors/lock-service-unavailable.error.js';
import { LOCK_SERVICE_PROPERTY } from '../../redis-lock.internal-constants.js';
import { RedisLockService } from '../../redis-lock.service.js';

// Classes whose prototype already asks Nest for the service.
const injected = new WeakSet<object>();

/**
 * Asks Nest to inject the service into every instance of the class. Not optional: a provider
 * with a decorated method in an application that never imported `RedisLockModule` fails at
 * bootstrap, with Nest's own message naming `RedisLockService` (the property's symbol says who
 * needs it). An object Nest did not create finds the service at call time (see `serviceOf`).
 * @internal
 */
export function requestService(target: object): void {
  if (typeof target === 'function' || injected.has(target)) return;
  injected.add(target);
  Inject(RedisLockService)(target, LOCK_SERVICE_PROPERTY);
}

/**
 * The service of the application `instance` belongs to.
 * @throws LockServiceUnavailableError when there is none to be sure of: the method does not run
 * @internal
 */
export function serviceOf(instance: unknown, label: string, decorator: string): RedisLockService {
  const service =
    instance !== null && typeof instance === 'object'
      ? (instance as Record<symbol, RedisLockService | undefined>)[LOCK_SERVICE_PROPERTY]
      : undefined;
  if (service) return service;
  // An object Nest did not create (or a static method): only unambiguous with one application.
  const sole = RedisLockService.soleInstance();
  if (sole) return sole;
  throw new LockServiceUnavailableError(label, decorator);
}
