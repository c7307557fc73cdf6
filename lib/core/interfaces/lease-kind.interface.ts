/**
 * What a held lease is: a `lock` (a mutex, fair or not, from `acquire()`), a `read-lock` or a
 * `write-lock` of a read-write lock, or a `permit` of a semaphore. Errors carry it, so a handler
 * can tell a lost permit from a lost lock.
 * @publicApi
 */
export type LeaseKind = 'lock' | 'read-lock' | 'write-lock' | 'permit';
