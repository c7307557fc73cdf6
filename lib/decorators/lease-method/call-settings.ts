import type { AcquireOptions } from '../../core/interfaces/acquire-options.interface.js';
import type { SemaphoreAcquireOptions } from '../../core/interfaces/semaphore-acquire-options.interface.js';
import type { RedisLockService } from '../../redis-lock.service.js';
import type { LeaseMethodSpec, OnLocked, OnLost } from './lease-method-spec.interface.js';

/**
 * How a decorated method's calls take their lease in one application: the decorator's options
 * over the module's defaults.
 * @internal
 */
export interface CallSettings {
  readonly acquire: AcquireOptions & SemaphoreAcquireOptions;
  readonly onLocked: OnLocked;
  readonly onLost: OnLost;
  readonly reentrant: boolean;
}

/**
 * The call settings of `spec` under each service (one per application), worked out at the
 * first call it serves and kept.
 * @internal
 */
export function callSettingsOf(spec: LeaseMethodSpec): (service: RedisLockService) => CallSettings {
  const perService = new WeakMap<RedisLockService, CallSettings>();
  return (service) => {
    let call = perService.get(service);
    if (!call) {
      call = resolveCallSettings(spec, service.decoratorDefaults);
      perService.set(service, call);
    }
    return call;
  };
}

function resolveCallSettings(
  { acquire, settings }: LeaseMethodSpec,
  defaults: RedisLockService['decoratorDefaults'],
): CallSettings {
  const onLocked = settings.onLocked ?? defaults.onLocked;
  return {
    acquire: {
      ...acquire,
      ...(settings.ttl !== undefined && { ttl: settings.ttl }),
      // Skipping is for "someone else is doing it": do not wait for them by default.
      ...(settings.waitTimeout !== undefined
        ? { waitTimeout: settings.waitTimeout }
        : onLocked === 'skip' && { waitTimeout: 0 }),
      autoExtend: settings.autoExtend ?? defaults.autoExtend,
    },
    onLocked,
    onLost: settings.onLost ?? defaults.onLost,
    reentrant: settings.reentrant ?? defaults.reentrant,
  };
}
