import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RedisLockModuleOptions } from './interfaces/redis-lock-module-options.interface.js';

/**
 * `forRoot` / `forRootAsync` (useFactory, useClass, useExisting), built by Nest's
 * ConfigurableModuleBuilder. `isGlobal` is an extra (default `true`): `@DistributedLock` needs
 * the `RedisLockService` in every module that has decorated classes.
 */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: REDIS_LOCK_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RedisLockModuleOptions>({ moduleName: 'RedisLock' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRedisLockOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/**
 * Options of `RedisLockModule.forRootAsync()`: `imports`, and one of `useFactory` (+ `inject`),
 * `useClass` or `useExisting` (a `RedisLockOptionsFactory`), plus `isGlobal`.
 * @publicApi
 */
export type RedisLockModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
