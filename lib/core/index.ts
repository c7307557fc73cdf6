// The framework-free lock engine: nothing here imports @nestjs/*.
export { LockManager, type LockClient, type LockClients, type LockKey } from './lock-manager.js';
export { Lock } from './lock.js';
export type { AcquireOptions } from './interfaces/acquire-options.interface.js';
export type { LockInfo } from './interfaces/lock-info.interface.js';
export type { LockManagerOptions } from './interfaces/lock-manager-options.interface.js';
export type { ResolvedLockManagerOptions } from './options/resolve-manager-options.js';
export type { RetryOptions } from './interfaces/retry-options.interface.js';
export type { WaitForReplicasOptions } from './interfaces/wait-for-replicas-options.interface.js';
export type * from './interfaces/lock-manager-events.interface.js';
export * from './errors/index.js';
