/**
 * The lock ttl used where a library has no default: redlock requires a duration on every call,
 * and the floor is hand-written. 10 s is redis-semaphore's default lockTimeout; the ttl changes
 * no figure of the short scenarios, since every lock is released long before it expires.
 */
export const COMMON_TTL_MS = 10_000;
