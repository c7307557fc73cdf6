/**
 * Test helpers: the in-memory lock store, with `hold()` to take a key as another process would.
 * @module nestjs-redis-lock/testing
 */
export * from '../../../lib/testing/index.js';
