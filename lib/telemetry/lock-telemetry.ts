import type { OnApplicationShutdown } from '@nestjs/common';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import type { LockManager } from '../core/lock-manager.js';
import { loadOpenTelemetry, OPEN_TELEMETRY_API } from './load-open-telemetry.js';
import { LockMetrics } from './lock-metrics.js';
import { LockTracing } from './lock-tracing.js';
import type { OpenTelemetryApi } from './open-telemetry-api.interface.js';
import type { ResolvedOpenTelemetry } from './resolve-open-telemetry-options.js';

/**
 * The module's OpenTelemetry instrumentation: metrics recorded from the manager's events, and
 * the tracing of locked calls that `RedisLockService` uses. Stops recording at shutdown.
 * @internal
 */
export class LockTelemetry implements OnApplicationShutdown {
  readonly tracing: LockTracing | undefined;
  private readonly metrics: LockMetrics | undefined;

  constructor(api: OpenTelemetryApi, manager: LockManager, settings: ResolvedOpenTelemetry) {
    this.metrics = settings.metrics ? LockMetrics.attach(api, manager) : undefined;
    this.tracing = settings.tracing ? new LockTracing(api) : undefined;
  }

  onApplicationShutdown(): void {
    this.metrics?.detach();
  }
}

/**
 * Loads `@opentelemetry/api` as the settings ask, and instruments the manager with it; `null`
 * when it is off or not installed (then nothing listens, nothing is recorded, nothing costs).
 * @throws InvalidLockOptionsError when the application required it and it is not installed
 * @internal
 */
export async function createLockTelemetry(
  manager: LockManager,
  settings: ResolvedOpenTelemetry,
  load: () => Promise<OpenTelemetryApi | undefined> = loadOpenTelemetry,
): Promise<LockTelemetry | null> {
  if (settings.mode === 'off') return null;
  const api = await load();
  if (api) return new LockTelemetry(api, manager, settings);
  if (settings.mode === 'required') {
    throw new InvalidLockOptionsError(
      'openTelemetry',
      `RedisLockModule option openTelemetry asks for OpenTelemetry, but ${OPEN_TELEMETRY_API} is not installed. ` +
        `Install it (npm install ${OPEN_TELEMETRY_API}), or leave the option out to use it only when present.`,
    );
  }
  return null;
}
