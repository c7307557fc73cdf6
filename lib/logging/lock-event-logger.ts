import type { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { LockManagerEvents } from '../core/interfaces/lock-manager-events.interface.js';
import type { LockManager } from '../core/lock-manager.js';
import type { LockLogLevel } from '../interfaces/lock-logging-options.interface.js';
import type { ResolvedLockLogging } from './resolve-logging-options.js';

type EventName = keyof LockManagerEvents;
type Payload<E extends EventName> = LockManagerEvents[E][0];

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
    const { levels } = this;
    // Untyped view of the manager for the bookkeeping: each listener below is typed by `on`.
    const emitter = manager as unknown as EventEmitter;
    const attached: Array<[EventName, (payload: Payload<EventName>) => void]> = [];
    const on = <E extends EventName>(
      event: E,
      level: (payload: Payload<E>) => LockLogLevel | false,
      message: (payload: Payload<E>) => string,
    ): void => {
      const listener = (payload: Payload<E>): void => {
        const at = level(payload);
        if (at) this.logger[at](message(payload));
      };
      attached.push([event, listener as (payload: Payload<EventName>) => void]);
      emitter.on(event, listener);
    };
    const fixed = (at: LockLogLevel | false) => (): LockLogLevel | false => at;

    if (levels.lost) {
      on('lost', fixed(levels.lost), ({ key, fencingToken, heldMs, error }) => {
        return `Lock "${key}" (fencing token ${fencingToken}) lost after ${ms(heldMs)} ms (${error.reason}): ${error.message}`;
      });
    }
    if (levels.backendError) {
      on('releaseFailed', fixed(levels.backendError), ({ error }) => error.message);
    }
    if (levels.backendError || levels.acquireFailed) {
      on(
        'acquireFailed',
        ({ reason }) => (reason === 'error' ? levels.backendError : levels.acquireFailed),
        ({ key, waitedMs, reason, error }) =>
          reason === 'error'
            ? `${error?.message ?? `Could not acquire lock "${key}".`} (after ${ms(waitedMs)} ms)`
            : `Gave up on lock "${key}" after ${ms(waitedMs)} ms: ${reason === 'held' ? 'held by someone else' : reason}.`,
      );
    }
    if (levels.replicaShortfall) {
      on(
        'replicaShortfall',
        fixed(levels.replicaShortfall),
        ({ key, fencingToken, acknowledged, required }) =>
          `Lock "${key}" (fencing token ${fencingToken}) was granted with ${acknowledged} of ${required} replicas acknowledging: a failover now could lose it.`,
      );
    }
    if (levels.acquired) {
      on(
        'acquired',
        fixed(levels.acquired),
        ({ key, token, fencingToken, waitedMs, attempts }) =>
          `Acquired lock "${key}" (fencing token ${fencingToken}, token ${token}) in ${ms(waitedMs)} ms, ${attempts} attempt${attempts === 1 ? '' : 's'}.`,
      );
    }
    if (levels.released) {
      on(
        'released',
        fixed(levels.released),
        ({ key, fencingToken, heldMs }) =>
          `Released lock "${key}" (fencing token ${fencingToken}) after ${ms(heldMs)} ms.`,
      );
    }
    if (levels.extended) {
      on(
        'extended',
        fixed(levels.extended),
        ({ key, fencingToken, ttl, automatic }) =>
          `Extended lock "${key}" (fencing token ${fencingToken}) to ${ttl} ms${automatic ? ' (renewal)' : ''}.`,
      );
    }
    if (levels.waitStarted) {
      on(
        'waitStarted',
        fixed(levels.waitStarted),
        ({ key }) => `Waiting for lock "${key}", held by someone else.`,
      );
    }
    if (levels.waitEnded) {
      on(
        'waitEnded',
        fixed(levels.waitEnded),
        ({ key, waitedMs, outcome }) => `Waited ${ms(waitedMs)} ms for lock "${key}": ${outcome}.`,
      );
    }
    return () => {
      for (const [event, listener] of attached) emitter.off(event, listener);
    };
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
