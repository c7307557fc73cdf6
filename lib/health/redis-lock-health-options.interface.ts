/**
 * Options of `RedisLockHealthIndicator.isHealthy()`.
 * @publicApi
 */
export interface RedisLockHealthOptions {
  /**
   * How long each Redis server gets to answer each probe (`PING`, then `SCRIPT LOAD`), in
   * milliseconds; keep it below the timeout of whatever polls the health endpoint.
   * @default 1000
   */
  timeout?: number;
}
