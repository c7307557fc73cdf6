/**
 * What `LockStore.acquire()` resolves: the lock and its fencing token, or nothing.
 *
 * The shape `@nestjs/locks` documents for its pluggable stores, declared here so the store
 * needs no dependency on that package.
 * @experimental
 * @publicApi
 */
export type LockAcquireResult =
  { readonly acquired: true; readonly fencingToken: number } | { readonly acquired: false };

/**
 * The store contract of `@nestjs/locks` (docs.nestjs.com, "Distributed locks"), as its
 * documentation states it: the package owns the rules (renewal every ttl/3, waiting, signals),
 * the store owns the data. Declared structurally: an object with these three methods is a
 * store whether or not it names this interface.
 *
 * - `acquire(key, owner, ttl)`: takes a free or expired key for `owner` for `ttl` ms, with a
 *   fencing token greater than every token issued for `key` before; refuses a key held by a live
 *   lock, its own owner's included (a lock is taken once).
 * - `renew(key, owner, ttl)`: restarts `ttl` if `owner` still holds a live lock on `key`.
 * - `release(key, owner)`: frees the key if `owner` still holds a live lock on it.
 *
 * `renew` and `release` are compare-and-set on `owner`; ttl is measured by the store's clock;
 * one of any number of concurrent acquirers wins.
 * @experimental
 * @publicApi
 */
export interface LockStore {
  acquire(key: string, owner: string, ttl: number): Promise<LockAcquireResult>;
  renew(key: string, owner: string, ttl: number): Promise<boolean>;
  release(key: string, owner: string): Promise<boolean>;
}
