// nestjs-redis-lock/health: the @nestjs/terminus health indicator. A separate entry point, so
// that the main one never loads @nestjs/terminus, an optional peer dependency.
export { RedisLockHealthIndicator } from './redis-lock.health-indicator.js';
export type { RedisLockHealthOptions } from './redis-lock-health-options.interface.js';
