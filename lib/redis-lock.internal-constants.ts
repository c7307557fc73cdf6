/** The validated, defaulted module options. @internal */
export const REDIS_LOCK_RESOLVED_OPTIONS = Symbol('REDIS_LOCK_RESOLVED_OPTIONS');

/** The client plus whether the module created it (and so must close it). @internal */
export const REDIS_LOCK_CONNECTION = Symbol('REDIS_LOCK_CONNECTION');

/** Property of decorated classes that receives the RedisLockService. @internal */
export const LOCK_SERVICE_PROPERTY = Symbol(
  'RedisLockService, for @DistributedLock and @DistributedSemaphore (import RedisLockModule)',
);

/** The OpenTelemetry instrumentation, or null without it. @internal */
export const REDIS_LOCK_TELEMETRY = Symbol('REDIS_LOCK_TELEMETRY');

/** Resolved once Redis answers, with `failFast`; at once without. @internal */
export const REDIS_LOCK_READY = Symbol('REDIS_LOCK_READY');

/** Gives the WebSocket gateways of the application the lock error interceptor. @internal */
export const REDIS_LOCK_GATEWAYS = Symbol('REDIS_LOCK_GATEWAYS');
