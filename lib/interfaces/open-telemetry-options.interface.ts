/**
 * What the module records through OpenTelemetry, when `@opentelemetry/api` is installed.
 * @publicApi
 */
export interface OpenTelemetryOptions {
  /**
   * Record the lock metrics (acquire, wait and hold durations, lost locks, timeouts, locks held).
   * @default true
   */
  metrics?: boolean;
  /**
   * Record a span around each locked call (`@DistributedLock`, `withLock`): its wait and hold.
   * @default true
   */
  tracing?: boolean;
}
