import type { OpenTelemetryApi } from './open-telemetry-api.interface.js';

/** The optional peer dependency. */
export const OPEN_TELEMETRY_API = '@opentelemetry/api';

/**
 * Loads `@opentelemetry/api` if the application has it, `undefined` otherwise.
 *
 * A dynamic `import()` of a name held in a variable: Node runs it from the CommonJS build and the
 * ES module build alike (the package's CommonJS entry either way, so the global registry the
 * application's SDK uses is the same), and bundlers do not try to resolve a package that may
 * not be there. Nothing is loaded, and nothing costs, before the module asks for it.
 * @internal
 */
export async function loadOpenTelemetry(
  specifier: string = OPEN_TELEMETRY_API,
): Promise<OpenTelemetryApi | undefined> {
  let loaded: unknown;
  try {
    loaded = await import(specifier);
  } catch (error) {
    if (isMissing(error, specifier)) return undefined;
    throw error;
  }
  // A CommonJS module imported from ES modules may show its exports under `default` only.
  const namespace = loaded as Partial<OpenTelemetryApi> & { default?: OpenTelemetryApi };
  return namespace.metrics && namespace.trace ? (namespace as OpenTelemetryApi) : namespace.default;
}

/** The package itself is not installed (not a file missing inside an installed package). */
function isMissing(error: unknown, specifier: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    (message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`))
  );
}
