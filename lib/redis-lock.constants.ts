/**
 * Injection token of the ioredis client the module uses (yours, or the one it created).
 * Inject it with `@InjectRedisLockClient()`.
 * @publicApi
 */
export const REDIS_LOCK_CLIENT = Symbol('REDIS_LOCK_CLIENT');

/**
 * Metadata key under which `@DistributedLock` records its key and options on the method, for
 * tools and tests: `Reflect.getMetadata(DISTRIBUTED_LOCK_METADATA, Class.prototype.method)`.
 * @publicApi
 */
export const DISTRIBUTED_LOCK_METADATA = 'redis-lock:distributed-lock';

/**
 * Metadata key under which `@DistributedSemaphore` records its key and options on the method.
 * @publicApi
 */
export const DISTRIBUTED_SEMAPHORE_METADATA = 'redis-lock:distributed-semaphore';
