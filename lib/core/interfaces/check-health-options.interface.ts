/**
 * Options of `LockManager.checkHealth()`.
 * @publicApi
 */
export interface CheckHealthOptions {
  /**
   * How long each Redis server gets to answer each probe (`PING`, then `SCRIPT LOAD`), in
   * milliseconds; a server that has not answered by then is reported down.
   * @default 1000
   */
  timeout?: number;
}
