import type { Violation } from './history.js';

type TimerFunction = typeof setTimeout;
type ClearFunction = typeof clearTimeout;

/**
 * Watches one process over a chaos round for what must not be left at its end: timers (the
 * unref'd ones too, which `process.getActiveResourcesInfo()` does not list), sockets and other
 * handles, process listeners, unhandled rejections and uncaught exceptions.
 *
 * Start it before the code under test creates anything (in a worker: before the library is
 * loaded), and finish it after every manager was closed and every client disconnected.
 */
export interface ProcessChecks {
  /** What was left, as violations; also stops watching. */
  finish(options?: { settleMs?: number }): Promise<Violation[]>;
}

/** Counts of each kind of active handle or request. */
function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function resourceGrowth(before: Map<string, number>): string[] {
  const grown: string[] = [];
  for (const [kind, count] of resourceCounts()) {
    const extra = count - (before.get(kind) ?? 0);
    if (extra > 0) grown.push(`${extra} × ${kind}`);
  }
  return grown;
}

function listenerCounts(): Map<string | symbol, number> {
  const counts = new Map<string | symbol, number>();
  for (const name of process.eventNames()) counts.set(name, process.listenerCount(name));
  return counts;
}

/** The first frames of a stack that are not this file's. */
function origin(error: Error): string {
  return (error.stack ?? '')
    .split('\n')
    .slice(1)
    .filter((line) => !line.includes('process-checks'))
    .slice(0, process.env.CHAOS_DEBUG ? 30 : 4)
    .map((line) => line.trim())
    .join(' < ');
}

export function startProcessChecks(): ProcessChecks {
  const resourcesBefore = resourceCounts();
  const listenersBefore = listenerCounts();
  const problems: Violation[] = [];
  const onRejection = (reason: unknown): void => {
    problems.push({
      kind: 'unhandled-rejection',
      message: `unhandled rejection: ${reason instanceof Error ? `${reason.name}: ${reason.message} at ${origin(reason)}` : String(reason)}`,
    });
  };
  const onException = (error: unknown): void => {
    problems.push({
      kind: 'uncaught-exception',
      message: `uncaught exception: ${error instanceof Error ? `${error.name}: ${error.message} at ${origin(error)}` : String(error)}`,
    });
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  // Every timer created from now on, until it fires or is cleared, with where it was created.
  const live = new Map<object, Error>();
  const original = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
  };
  const tracked = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer: NodeJS.Timeout = original.setTimeout(
      (...callArgs: unknown[]) => {
        live.delete(timer);
        callback(...callArgs);
      },
      ms,
      ...args,
    );
    live.set(timer, new Error('timer created'));
    return timer;
  }) as TimerFunction;
  Object.assign(tracked, original.setTimeout);
  globalThis.setTimeout = tracked;
  globalThis.clearTimeout = ((timer: Parameters<ClearFunction>[0]) => {
    if (timer && typeof timer === 'object') live.delete(timer);
    original.clearTimeout(timer);
  }) as ClearFunction;
  globalThis.setInterval = ((
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    const timer = original.setInterval(callback, ms, ...args);
    live.set(timer, new Error('interval created'));
    return timer;
  }) as typeof setInterval;
  globalThis.clearInterval = ((timer: Parameters<typeof clearInterval>[0]) => {
    if (timer && typeof timer === 'object') live.delete(timer);
    original.clearInterval(timer);
  }) as typeof clearInterval;

  return {
    async finish({ settleMs = 2_000 } = {}) {
      // Sockets close and timers fire a moment after the code that ends them: let them.
      const deadline = performance.now() + settleMs;
      while (
        (live.size > 0 || resourceGrowth(resourcesBefore).length > 0) &&
        performance.now() < deadline
      ) {
        await new Promise((resolve) => original.setTimeout(resolve, 20));
      }
      Object.assign(globalThis, original);
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);

      const violations = [...problems];
      for (const created of live.values()) {
        violations.push({
          kind: 'leftover-resource',
          message: `a timer still pending after everything was closed, ${created.message} at ${origin(created)}`,
        });
      }
      const grown = resourceGrowth(resourcesBefore);
      if (grown.length > 0) {
        violations.push({
          kind: 'leftover-resource',
          message: `handles still open after everything was closed: ${grown.join(', ')}`,
        });
      }
      for (const [name, count] of listenerCounts()) {
        const extra = count - (listenersBefore.get(name) ?? 0);
        if (extra > 0) {
          violations.push({
            kind: 'leftover-resource',
            message: `${extra} process listener(s) for "${String(name)}" left behind`,
          });
        }
      }
      return violations;
    },
  };
}
