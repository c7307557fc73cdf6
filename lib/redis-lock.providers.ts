import type { Provider } from '@nestjs/common';
import { APP_INTERCEPTOR, ModulesContainer } from '@nestjs/core';
import { dropModuleConnection } from './connection/close-module-connection.js';
import { createModuleConnection } from './connection/create-module-connection.js';
import { type LockClient, type LockTarget, LockManager } from './core/lock-manager.js';
import { InMemoryLockStore } from './core/memory/in-memory-lock-store.js';
import { RedisUnreachableError } from './errors/redis-unreachable.error.js';
import { attachToGateways } from './exceptions/attach-to-gateways.js';
import { LockExceptionsInterceptor } from './exceptions/lock-exceptions.interceptor.js';
import { LockEventLogger } from './logging/lock-event-logger.js';
import {
  resolveRedisLockModuleOptions,
  type ResolvedRedisLockModuleOptions,
} from './options/resolve-module-options.js';
import type { RedisLockConnection } from './redis-lock-connection.interface.js';
import { REDIS_LOCK_CLIENT } from './redis-lock.constants.js';
import { REDIS_LOCK_MODULE_OPTIONS } from './redis-lock.module-definition.js';
import {
  REDIS_LOCK_CONNECTION,
  REDIS_LOCK_GATEWAYS,
  REDIS_LOCK_READY,
  REDIS_LOCK_RESOLVED_OPTIONS,
  REDIS_LOCK_TELEMETRY,
} from './redis-lock.internal-constants.js';
import { createLockTelemetry } from './telemetry/lock-telemetry.js';

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
    // Async: the client package is loaded when the module creates a connection with it.
    useFactory: ({ connection, logging }: ResolvedRedisLockModuleOptions) =>
      createModuleConnection(connection, new LockEventLogger(logging)),
    inject: [REDIS_LOCK_RESOLVED_OPTIONS],
  },
  {
    provide: REDIS_LOCK_CLIENT,
    // In memory there is no Redis client to share.
    useFactory: (connection: RedisLockConnection) =>
      connection.client instanceof InMemoryLockStore ? undefined : connection.client,
    inject: [REDIS_LOCK_CONNECTION],
  },
  {
    provide: LockManager,
    useFactory: (connection: RedisLockConnection, options: ResolvedRedisLockModuleOptions) => {
      try {
        return new LockManager(connection.client, options.manager);
      } catch (error) {
        // Bootstrap stops here and no shutdown hook will run: do not leave the connections
        // created above reconnecting forever.
        if (connection.owned) dropModuleConnection(connection.client);
        throw error;
      }
    },
    inject: [REDIS_LOCK_CONNECTION, REDIS_LOCK_RESOLVED_OPTIONS],
  },
  {
    // Async: @opentelemetry/api is loaded with a dynamic import, only when present and wanted.
    provide: REDIS_LOCK_TELEMETRY,
    useFactory: async (
      manager: LockManager,
      options: ResolvedRedisLockModuleOptions,
      connection: RedisLockConnection,
    ) => {
      try {
        return await createLockTelemetry(manager, options.openTelemetry);
      } catch (error) {
        // As above: bootstrap stops, no shutdown hook will close what was created.
        if (connection.owned) dropModuleConnection(connection.client);
        throw error;
      }
    },
    inject: [LockManager, REDIS_LOCK_RESOLVED_OPTIONS, REDIS_LOCK_CONNECTION],
  },
  {
    // failFast: bootstrap waits here, bounded, until Redis answers, or fails naming the cause.
    provide: REDIS_LOCK_READY,
    useFactory: async (
      manager: LockManager,
      options: ResolvedRedisLockModuleOptions,
      connection: RedisLockConnection,
    ): Promise<true> => {
      if (options.failFast === false) return true;
      try {
        await untilReachable(manager, connection.client, options.failFast);
      } catch (error) {
        // As above: bootstrap stops, no shutdown hook will close what was created.
        await manager.close().catch(() => undefined);
        if (connection.owned) dropModuleConnection(connection.client);
        throw error;
      }
      return true;
    },
    inject: [LockManager, REDIS_LOCK_RESOLVED_OPTIONS, REDIS_LOCK_CONNECTION],
  },
  // Lock errors that reach a handler get their transport's answer: registered for the whole
  // application, as Nest registers every APP_INTERCEPTOR, whichever module provides it...
  LockExceptionsInterceptor,
  { provide: APP_INTERCEPTOR, useExisting: LockExceptionsInterceptor },
  {
    // ...but for WebSocket gateways, which get no global enhancer: they get it on their class.
    provide: REDIS_LOCK_GATEWAYS,
    useFactory: (modules: ModulesContainer, interceptor: LockExceptionsInterceptor): true => {
      attachToGateways(modules, interceptor);
      return true;
    },
    inject: [ModulesContainer, LockExceptionsInterceptor],
  },
];

/**
 * Probes Redis until it answers, or `timeout` ms have passed. A client that cannot connect
 * queues the probe, which then only "does not answer": the connection's own error (refused,
 * unknown host, TLS, authentication) is the cause worth naming.
 */
async function untilReachable(
  manager: LockManager,
  client: LockTarget,
  timeout: number,
): Promise<void> {
  const clients: LockClient[] =
    client instanceof InMemoryLockStore
      ? []
      : Array.isArray(client)
        ? [...client]
        : [client as LockClient];
  let lastError: Error | undefined;
  const onError = (error: Error): void => void (lastError = error);
  for (const c of clients) c.on('error', onError);
  try {
    const deadline = Date.now() + timeout;
    for (;;) {
      const left = deadline - Date.now();
      const health = await manager.checkHealth({ timeout: Math.max(1, Math.min(1_000, left)) });
      if (health.healthy) return;
      if (Date.now() >= deadline) throw new RedisUnreachableError(timeout, health, lastError);
      // A server still starting refuses at once: do not spin.
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now())));
    }
  } finally {
    for (const c of clients) c.off('error', onError);
  }
}
