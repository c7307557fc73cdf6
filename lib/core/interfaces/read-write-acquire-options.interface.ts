import type { AcquireOptions } from './acquire-options.interface.js';

/**
 * Options of `ReadWriteLock.read()`, `write()` and friends: those of a lock, each overriding the
 * manager's default of the same name. (Writers always queue in arrival order, so there is no
 * `fair` option.)
 * @publicApi
 */
export type ReadWriteAcquireOptions = Omit<AcquireOptions, 'fair'>;
