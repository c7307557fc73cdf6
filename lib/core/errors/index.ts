export { RedisLockError } from './redis-lock.error.js';
export { InvalidLockOptionsError } from './invalid-lock-options.error.js';
export { LockTimeoutError } from './lock-timeout.error.js';
export { LockLostError, type LockLostReason } from './lock-lost.error.js';
export { LockAbortedError } from './lock-aborted.error.js';
export { LockBackendError } from './lock-backend.error.js';
export { LockReleasedError } from './lock-released.error.js';
export { LockManagerClosedError } from './lock-manager-closed.error.js';
