// The framework-free lock engine: nothing here imports @nestjs/*.
import { InMemoryLockStore as Store } from './memory/in-memory-lock-store.js';

export {
  LockManager,
  type LockClient,
  type LockClients,
  type LockKey,
  type LockTarget,
  type QuorumMasterClient,
} from './lock-manager.js';
export type {
  NodeRedisClient,
  NodeRedisCluster,
  NodeRedisClusterNode,
  NodeRedisEvents,
  NodeRedisLifecycle,
  NodeRedisListener,
  NodeRedisLockClient,
  NodeRedisPubSub,
  NodeRedisSentinel,
} from './interfaces/node-redis-client.interface.js';
export { Lease } from './lease.js';
export { Lock } from './lock.js';
export { ReadLock } from './read-lock.js';
export { Permit } from './permit.js';
export { LeaderElection } from './leader/leader-election.js';
export type { LeaderTerm } from './leader/leader-term.interface.js';
export type { LeaderElectionOptions } from './interfaces/leader-election-options.interface.js';
export { Semaphore } from './primitives/semaphore.js';
export { ReadWriteLock } from './primitives/read-write-lock.js';
export type { AcquireOptions } from './interfaces/acquire-options.interface.js';
export type { LeaseKind } from './interfaces/lease-kind.interface.js';
export type { SemaphoreOptions } from './interfaces/semaphore-options.interface.js';
export type { SemaphoreAcquireOptions } from './interfaces/semaphore-acquire-options.interface.js';
export type { ReadWriteAcquireOptions } from './interfaces/read-write-acquire-options.interface.js';
export type { FreeLockInfo, HeldLockInfo, LockInfo } from './interfaces/lock-info.interface.js';
export type {
  ListLocksOptions,
  ListLocksPageOptions,
} from './interfaces/list-locks-options.interface.js';
export type { CheckHealthOptions } from './interfaces/check-health-options.interface.js';
export type { LockHealth, LockNodeHealth } from './interfaces/lock-health.interface.js';
export type { LockManagerOptions } from './interfaces/lock-manager-options.interface.js';
export type { ResolvedLockManagerOptions } from './options/resolve-manager-options.js';
export type { RetryOptions } from './interfaces/retry-options.interface.js';
export type { WaitForReplicasOptions } from './interfaces/wait-for-replicas-options.interface.js';
export type * from './interfaces/lock-manager-events.interface.js';
export * from './errors/index.js';
/**
 * @deprecated since 0.2 (removed in 0.3): import it from `nestjs-redis-lock/testing`, with the
 * other test helpers.
 */
export const InMemoryLockStore = Store;
/** @deprecated since 0.2 (removed in 0.3): import it from `nestjs-redis-lock/testing`. */
export type InMemoryLockStore = Store;
export {
  LOCK_CHANNELS,
  type AcquireMessage,
  type ExtendMessage,
  type LeaseMessage,
  type LostMessage,
  type WaitMessage,
} from './diagnostics/lock-channels.js';
