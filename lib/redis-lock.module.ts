import { Module } from '@nestjs/common';
import { LockManager } from './core/lock-manager.js';
import { LeaderService } from './leader/leader.service.js';
import { REDIS_LOCK_CLIENT } from './redis-lock.constants.js';
import { ConfigurableModuleClass } from './redis-lock.module-definition.js';
import { redisLockProviders } from './redis-lock.providers.js';
import { RedisLockService } from './redis-lock.service.js';

/**
 * Distributed locks on Redis for a Nest application: provides `RedisLockService`, the engine's
 * `LockManager` and the Redis client (`@InjectRedisLockClient()`), and makes `@DistributedLock`
 * work on controllers, providers, gateways and microservice handlers.
 *
 * Global by default (`isGlobal: false` to scope it). On `app.close()` it waits (bounded by
 * `shutdownTimeout`) for locked methods still running, releases every lock still held, and
 * closes the connection it created (never a client you gave it).
 *
 * @example
 * @Module({
 *   imports: [
 *     RedisLockModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({ url: config.getOrThrow('REDIS_URL') }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * @publicApi
 */
@Module({
  providers: [...redisLockProviders, RedisLockService, LeaderService],
  exports: [RedisLockService, LockManager, REDIS_LOCK_CLIENT, LeaderService],
})
export class RedisLockModule extends ConfigurableModuleClass {}
