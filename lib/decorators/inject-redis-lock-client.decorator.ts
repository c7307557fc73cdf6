import { Inject } from '@nestjs/common';
import { REDIS_LOCK_CLIENT } from '../redis-lock.constants.js';

/**
 * Injects the ioredis client the lock module uses, to share its connection.
 *
 * @example
 * constructor(@InjectRedisLockClient() private readonly redis: Redis) {}
 * @publicApi
 */
export const InjectRedisLockClient = (): ReturnType<typeof Inject> => Inject(REDIS_LOCK_CLIENT);
