// Test helpers for applications that use nestjs-redis-lock: locks kept in this process's memory,
// with the semantics of the Redis scripts, and a way to hold a key as another process would.
export {
  type HeldKey,
  type HoldKeyOptions,
  InMemoryLockStore,
} from '../core/memory/in-memory-lock-store.js';
