// The framework-free lock engine: nothing here imports @nestjs/*.
export { LockManager, type LockClient, type LockClients, type LockKey } from './lock-manager.js';
export { Lock } from './lock.js';
export type { AcquireOptions } from './interfaces/acquire-options.interface.js';
export type { HeldLockInfo, LockInfo } from './interfaces/lock-info.interface.js';
export type { ListLocksOptions } from './interfaces/list-locks-options.interface.js';
export type { CheckHealthOptions } from './interfaces/check-health-options.interface.js';
export type { LockHealth, LockNodeHealth } from './interfaces/lock-health.interface.js';
export type { LockManagerOptions } from './interfaces/lock-manager-options.interface.js';
export type { ResolvedLockManagerOptions } from './options/resolve-manager-options.js';
export type { RetryOptions } from './interfaces/retry-options.interface.js';
export type { WaitForReplicasOptions } from './interfaces/wait-for-replicas-options.interface.js';
export type * from './interfaces/lock-manager-events.interface.js';
export * from './errors/index.js';
