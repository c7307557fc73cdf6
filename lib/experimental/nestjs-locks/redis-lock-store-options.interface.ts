/**
 * Options of `RedisLockStore`.
 * @experimental
 * @publicApi
 */
export interface RedisLockStoreOptions {
  /**
   * Put in front of every key the store writes: `<keyPrefix>lock:<key>` for a lock,
   * `<keyPrefix>fence:{<tag>}` for the fencing counter of a Cluster slot. A `{hash tag}` in it
   * keeps every key in one slot (one fencing counter then serves every lock).
   * @default 'nestjs-locks:'
   */
  keyPrefix?: string;
}
