/**
 * The NestJS layer (`RedisLockModule`, `@DistributedLock`, `@DistributedSemaphore`,
 * `RedisLockService`, `LockConflictFilter`) and the lock engine under it (`LockManager`, `Lock`,
 * the other primitives, the errors), which `nestjs-redis-lock/core` also exports without any
 * `@nestjs/*` import.
 * @module nestjs-redis-lock
 */
export * from '../../../lib/index.js';
