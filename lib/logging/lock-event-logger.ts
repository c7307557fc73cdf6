import { Logger } from '@nestjs/common';
import type { LockManagerEvents } from '../core/interfaces/lock-manager-events.interface.js';
import type { LockManager } from '../core/lock-manager.js';
import type { LockLogLevel } from '../interfaces/lock-logging-options.interface.js';
import { type ManagerEventPayload, ManagerListeners } from '../utils/manager-listeners.util.js';
import type { ResolvedLockLogging } from './resolve-logging-options.js';

type EventName = keyof LockManagerEvents;

/** How one of the manager's events is logged. */
interface EventLine<E extends EventName> {
  /** Whether to listen at all: when every level it may log at is off, nothing is built per lock. */
  listens(levels: ResolvedLockLogging): boolean;
  /** The level of this occurrence, `false` for none. */
  level(levels: ResolvedLockLogging, payload: ManagerEventPayload<E>): LockLogLevel | false;
  message(payload: ManagerEventPayload<E>): string;
}

/** An event logged at the level of one `logging` entry. */
const at = <E extends EventName>(
  entry: keyof ResolvedLockLogging,
  message: (payload: ManagerEventPayload<E>) => string,
): EventLine<E> => ({
  listens: (levels) => levels[entry] !== false,
  level: (levels) => levels[entry],
  message,
});

/** The line of each event the module logs. */
const EVENT_LINES: { readonly [E in EventName]?: EventLine<E> } = {
  lost: at(
    'lost',
    ({ key, fencingToken, heldMs, error }) =>
      `Lock "${key}" (fencing token ${fencingToken}) lost after ${ms(heldMs)} ms (${error.reason}): ${error.message}`,
  ),
  releaseFailed: at('backendError', ({ error }) => error.message),
  acquireFailed: {
    listens: (levels) => levels.backendError !== false || levels.acquireFailed !== false,
    level: (levels, { reason }) =>
      reason === 'error' ? levels.backendError : levels.acquireFailed,
    message: ({ key, waitedMs, reason, error }) =>
      reason === 'error'
        ? `${error?.message ?? `Could not acquire lock "${key}".`} (after ${ms(waitedMs)} ms)`
        : `Gave up on lock "${key}" after ${ms(waitedMs)} ms: ${reason === 'held' ? 'held by someone else' : reason}.`,
  },
  replicaShortfall: at(
    'replicaShortfall',
    ({ key, fencingToken, acknowledged, required }) =>
      `Lock "${key}" (fencing token ${fencingToken}) was granted with ${acknowledged} of ${required} replicas acknowledging: a failover now could lose it.`,
  ),
  acquired: at(
    'acquired',
    ({ key, token, fencingToken, waitedMs, attempts }) =>
      `Acquired lock "${key}" (fencing token ${fencingToken}, token ${token}) in ${ms(waitedMs)} ms, ${attempts} attempt${attempts === 1 ? '' : 's'}.`,
  ),
  released: at(
    'released',
    ({ key, fencingToken, heldMs }) =>
      `Released lock "${key}" (fencing token ${fencingToken}) after ${ms(heldMs)} ms.`,
  ),
  extended: at(
    'extended',
    ({ key, fencingToken, ttl, automatic }) =>
      `Extended lock "${key}" (fencing token ${fencingToken}) to ${ttl} ms${automatic ? ' (renewal)' : ''}.`,
  ),
  waitStarted: at('waitStarted', ({ key }) => `Waiting for lock "${key}", held by someone else.`),
  waitEnded: at(
    'waitEnded',
    ({ key, waitedMs, outcome }) => `Waited ${ms(waitedMs)} ms for lock "${key}": ${outcome}.`,
  ),
};

/**
 * Turns the engine's events and the module's own failures into log lines, through Nest's
 * `Logger` (context `RedisLock`), at the levels the `logging` option resolved to. Listens only
 * to the events that are logged at all: with `'quiet'`, nothing is built per lock.
 * @internal
 */
export class LockEventLogger {
  private readonly logger = new Logger('RedisLock');

  constructor(private readonly levels: ResolvedLockLogging) {}

  /** Logs the manager's events from now on; returns the function that stops it. */
  attach(manager: LockManager): () => void {
    const listeners = new ManagerListeners(manager);
    for (const event of Object.keys(EVENT_LINES) as EventName[]) {
      this.listen(listeners, event, EVENT_LINES[event]!);
    }
    return () => listeners.detach();
  }

  private listen<E extends EventName>(
    listeners: ManagerListeners,
    event: E,
    line: EventLine<E>,
  ): void {
    const { levels } = this;
    if (!line.listens(levels)) return;
    listeners.on(event, (payload) => {
      const level = line.level(levels, payload);
      if (level) this.logger[level](line.message(payload));
    });
  }

  /**
   * `app.close()` stopped waiting for locked calls: `cut` describes each call still running,
   * `Class.method()` and what it holds.
   */
  shutdownTimeout(cut: readonly string[], total: number, timeout: number): void {
    const at = this.levels.shutdownTimeout;
    if (at) {
      this.logger[at](
        `${cut.length} of ${total} locked calls were still running after ${timeout} ms; their locks are released now: ${cut.join('; ')}.`,
      );
    }
  }

  /** A lock failure reached a handler and its client was answered (see `logLockAnswer`). */
  lockFailure(kind: 'locked' | 'unavailable' | 'invalid-key', message: string): void {
    const at =
      kind === 'unavailable'
        ? this.levels.unavailable
        : kind === 'invalid-key'
          ? this.levels.invalidKey
          : false;
    if (at) this.logger[at](message);
  }

  /** A connection the module created went down (logged once per outage). */
  connectionFailed(error: Error): void {
    const at = this.levels.connection;
    if (at)
      this.logger[at](`Redis connection failed (${error.message}); ioredis keeps reconnecting.`);
  }

  /** A connection the module created is back. */
  connectionRestored(): void {
    if (this.levels.connection) this.logger.log('Redis connection restored.');
  }
}

function ms(value: number): string {
  return String(Math.round(value));
}
