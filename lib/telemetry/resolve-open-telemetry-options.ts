import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { describeValue } from '../core/options/describe-value.util.js';
import { assertKnownOptions, validateBoolean } from '../core/options/validation.js';
import type { OpenTelemetryOptions } from '../interfaces/open-telemetry-options.interface.js';

/**
 * `auto`: used when `@opentelemetry/api` is installed; `required`: the application asked for it
 * and bootstrap fails without it; `off`: never loaded. Not part of the public API.
 */
export interface ResolvedOpenTelemetry {
  readonly mode: 'auto' | 'required' | 'off';
  readonly metrics: boolean;
  readonly tracing: boolean;
}

/**
 * Validates the module's `openTelemetry` option at bootstrap.
 * @internal
 */
export function resolveOpenTelemetry(input: unknown): ResolvedOpenTelemetry {
  if (input === undefined) return Object.freeze({ mode: 'auto', metrics: true, tracing: true });
  if (input === false) return Object.freeze({ mode: 'off', metrics: false, tracing: false });
  if (input === true) return Object.freeze({ mode: 'required', metrics: true, tracing: true });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidLockOptionsError(
      'openTelemetry',
      `RedisLockModule option openTelemetry must be true, false or { metrics?, tracing? }, but received ${describeValue(input)}. ` +
        'Leave it out to use OpenTelemetry only when @opentelemetry/api is installed.',
    );
  }
  assertKnownOptions(input, ['metrics', 'tracing'], 'openTelemetry');
  const { metrics = true, tracing = true } = input as OpenTelemetryOptions;
  const resolved = {
    metrics: validateBoolean(metrics, 'openTelemetry.metrics'),
    tracing: validateBoolean(tracing, 'openTelemetry.tracing'),
  };
  return Object.freeze({
    mode: resolved.metrics || resolved.tracing ? 'required' : 'off',
    ...resolved,
  });
}
