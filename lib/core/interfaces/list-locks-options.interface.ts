/**
 * How `LockManager.list(match, options)` pages through the keys.
 * @publicApi
 */
export interface ListLocksPageOptions {
  /**
   * How many keys each `SCAN` call looks at (a hint to Redis, not a page size): larger pages
   * mean fewer round trips, smaller ones keep each call shorter on a big keyspace.
   * @default 100
   */
  count?: number;
}

/**
 * Options of `LockManager.list()` in its older form, with the glob among them.
 * @publicApi
 */
export interface ListLocksOptions extends ListLocksPageOptions {
  /**
   * A Redis glob over lock keys, without the `keyPrefix`: `*` any characters, `?` one, `[abc]`
   * a set, `\` escapes. For example `'order:*'`.
   * @default '*' (every lock)
   * @deprecated since 0.2 (removed in 0.3): pass the glob as the first argument,
   *   `list('order:*', { count })`, as `RedisLockService.list()` takes it.
   */
  match?: string;
}
