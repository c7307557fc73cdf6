// Experimental: adapters for packages whose plug-in interfaces are not published yet. They
// follow those interfaces as documented and may change, within minor versions, to follow them.
export { RedisLockStore } from './nestjs-locks/redis-lock-store.js';
export type { LockAcquireResult, LockStore } from './nestjs-locks/lock-store.interface.js';
export type { RedisLockStoreOptions } from './nestjs-locks/redis-lock-store-options.interface.js';
export { RedisCronLocker } from './nestjs-schedule/redis-cron-locker.js';
export type { CronLocker } from './nestjs-schedule/cron-locker.interface.js';
export type { RedisCronLockerOptions } from './nestjs-schedule/redis-cron-locker-options.interface.js';
