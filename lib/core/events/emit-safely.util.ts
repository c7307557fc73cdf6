import type { EventEmitter } from 'node:events';

/**
 * Calls every listener of `event` with `payload`, each on its own: a listener that throws (or
 * returns a promise that rejects) is reported as a process warning and never reaches the
 * engine's bookkeeping, the other listeners, or the caller. An engine that let a logging
 * listener's bug abort a renewal batch would lose locks over it; one that let it become an
 * unhandled rejection would crash the process.
 * @internal
 */
export function emitSafely(emitter: EventEmitter, event: string, payload: unknown): void {
  // rawListeners: calling a once() wrapper removes it, as emit() would.
  for (const listener of emitter.rawListeners(event)) {
    try {
      const result: unknown = (listener as (payload: unknown) => unknown).call(emitter, payload);
      if (isThenable(result)) result.then(undefined, (error: unknown) => report(event, error));
    } catch (error) {
      report(event, error);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function report(event: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(
    `A listener of the lock manager's '${event}' event threw; the lock engine ignored it and carried on. Fix the listener: ${detail}`,
    { code: 'REDIS_LOCK_LISTENER_ERROR' },
  );
}
