// The lock engine (also available alone from 'nestjs-redis-lock/core').
export * from './core/index.js';

// The NestJS layer.
export { RedisLockModule } from './redis-lock.module.js';
export { RedisLockService } from './redis-lock.service.js';
export type {
  OnLostOption,
  WithLockOptions,
  WithPermitOptions,
  WithReadWriteLockOptions,
} from './service/with-lease-options.interface.js';
export { DistributedLock, type LockableMethod } from './decorators/distributed-lock.decorator.js';
export { DistributedSemaphore } from './decorators/distributed-semaphore.decorator.js';
export { InjectRedisLockClient } from './decorators/inject-redis-lock-client.decorator.js';
export {
  RedisLockTestingModule,
  type RedisLockTestingOptions,
} from './testing/redis-lock-testing.module.js';
export { LockConflictFilter } from './filters/lock-conflict.filter.js';
export { LeaderOnly } from './leader/leader-only.decorator.js';
export { LeaderService } from './leader/leader.service.js';
export { LEADER_ONLY_METADATA } from './leader/leader.constants.js';
export { LeaderServiceUnavailableError } from './leader/leader-service-unavailable.error.js';
export type { LeaderOnlyOptions } from './leader/leader-only-options.interface.js';
export {
  REDIS_LOCK_CLIENT,
  DISTRIBUTED_LOCK_METADATA,
  DISTRIBUTED_SEMAPHORE_METADATA,
} from './redis-lock.constants.js';
export { LockKeyError } from './errors/lock-key.error.js';
export { LockServiceUnavailableError } from './errors/lock-service-unavailable.error.js';
export { RedisUnreachableError } from './errors/redis-unreachable.error.js';
export type { LockFailure } from './exceptions/lock-failure.interface.js';
export type { LockErrorMapper, MapLockErrors } from './exceptions/lock-error-mapper.interface.js';
export type { LockKeyFunction, LockKeySource } from './key/lock-key-template.js';
export type {
  NodeRedisCreateOptions,
  RedisLockModuleOptions,
  RedisLockOptionsFactory,
} from './interfaces/redis-lock-module-options.interface.js';
export type {
  LockLogEvent,
  LockLoggingOptions,
  LockLogLevel,
} from './interfaces/lock-logging-options.interface.js';
export type { OpenTelemetryOptions } from './interfaces/open-telemetry-options.interface.js';
export type { RedisLockModuleAsyncOptions } from './redis-lock.module-definition.js';
export type {
  DistributedLockOptions,
  LockedContext,
  LostContext,
} from './interfaces/distributed-lock-options.interface.js';
export type { DistributedSemaphoreOptions } from './interfaces/distributed-semaphore-options.interface.js';
