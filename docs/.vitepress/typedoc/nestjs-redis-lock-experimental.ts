/**
 * Experimental adapters for packages whose plug-in interfaces are not published yet: a Redis
 * store for `@nestjs/locks` and a `CronLocker` for `@nestjs/schedule`.
 * @module nestjs-redis-lock/experimental
 */
export * from '../../../lib/experimental/index.js';
