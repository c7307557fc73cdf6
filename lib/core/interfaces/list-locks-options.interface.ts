/**
 * Options of `LockManager.list()`.
 * @publicApi
 */
export interface ListLocksOptions {
  /**
   * A Redis glob over lock keys, without the `keyPrefix`: `*` any characters, `?` one, `[abc]`
   * a set, `\` escapes. For example `'order:*'`.
   * @default '*' (every lock)
   */
  match?: string;
  /**
   * How many keys each `SCAN` call looks at (a hint to Redis, not a page size): larger pages
   * mean fewer round trips, smaller ones keep each call shorter on a big keyspace.
   * @default 100
   */
  count?: number;
}
