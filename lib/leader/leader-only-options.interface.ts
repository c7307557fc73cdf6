/**
 * Options of `@LeaderOnly` and `LeaderService.elect()`.
 * @publicApi
 */
export interface LeaderOnlyOptions {
  /**
   * Time to live of the election's leader lock, in milliseconds, renewed about every ttl/3:
   * when the leader dies, another instance leads within this long. Every use of one election
   * name must agree on it.
   * @default the module's `ttl` (30000)
   */
  ttl?: number;
}

/** What `@LeaderOnly` records, on the method and (all of them) on the class. @internal */
export interface LeaderOnlyMetadata {
  readonly name: string;
  readonly ttl: number | undefined;
  /** `Class.method()`, for messages. */
  readonly method: string;
}
