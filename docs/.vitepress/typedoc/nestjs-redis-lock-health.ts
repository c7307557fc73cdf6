/**
 * The `@nestjs/terminus` health indicator, from its own entry point so that the main one never
 * loads `@nestjs/terminus`, an optional peer dependency.
 * @module nestjs-redis-lock/health
 */
export * from '../../../lib/health/index.js';
