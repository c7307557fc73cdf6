import { Logger, type Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { LockClient } from './core/lock-manager.js';
import { LockManager } from './core/lock-manager.js';
import {
  resolveRedisLockModuleOptions,
  type ResolvedRedisLockModuleOptions,
} from './options/resolve-module-options.js';
import { REDIS_LOCK_CLIENT } from './redis-lock.constants.js';
import { REDIS_LOCK_MODULE_OPTIONS } from './redis-lock.module-definition.js';
import {
  REDIS_LOCK_CONNECTION,
  REDIS_LOCK_RESOLVED_OPTIONS,
} from './redis-lock.internal-constants.js';

/** The client, and whether the module created it (then it closes it on shutdown). */
export interface RedisLockConnection {
  readonly client: LockClient;
  readonly owned: boolean;
}

/** @internal */
export const redisLockProviders: Provider[] = [
  {
    // Defaults are resolved here once; everything else injects the result.
    provide: REDIS_LOCK_RESOLVED_OPTIONS,
    useFactory: (options: unknown) => resolveRedisLockModuleOptions(options),
    inject: [REDIS_LOCK_MODULE_OPTIONS],
  },
  {
    provide: REDIS_LOCK_CONNECTION,
    useFactory: ({ connection }: ResolvedRedisLockModuleOptions): RedisLockConnection => {
      if (connection.kind === 'client') return { client: connection.client, owned: false };
      const client =
        connection.url === undefined
          ? new Redis(connection.redis)
          : new Redis(connection.url, connection.redis);
      watchConnection(client);
      return { client, owned: true };
    },
    inject: [REDIS_LOCK_RESOLVED_OPTIONS],
  },
  {
    provide: REDIS_LOCK_CLIENT,
    useFactory: (connection: RedisLockConnection) => connection.client,
    inject: [REDIS_LOCK_CONNECTION],
  },
  {
    provide: LockManager,
    useFactory: (connection: RedisLockConnection, options: ResolvedRedisLockModuleOptions) =>
      new LockManager(connection.client, options.manager),
    inject: [REDIS_LOCK_CONNECTION, REDIS_LOCK_RESOLVED_OPTIONS],
  },
];

/**
 * Reports the state of a connection the module created, once per change instead of once per
 * reconnect attempt (ioredis emits an error on each), and keeps an unhandled 'error' event from
 * reaching the console as a stack trace.
 */
function watchConnection(client: Redis): void {
  const logger = new Logger('RedisLock');
  let failing = false;
  client.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    logger.error(`Redis connection failed (${error.message}); ioredis keeps reconnecting.`);
  });
  client.on('ready', () => {
    if (!failing) return;
    failing = false;
    logger.log('Redis connection restored.');
  });
}
