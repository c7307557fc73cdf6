import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import type { LockLostError, LockLostReason } from '../errors/lock-lost.error.js';
import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { Lease } from '../lease.js';

/**
 * The `node:diagnostics_channel` tracing channels the engine publishes on, named as ioredis
 * (`ioredis:command`) and node-redis name theirs. Each is a `TracingChannel`: subscribe with
 * `diagnostics_channel.tracingChannel(name).subscribe({ start, end, asyncStart, asyncEnd,
 * error })`, or to one event with `diagnostics_channel.subscribe('tracing:<name>:start', fn)`.
 *
 * Every operation publishes `start` then `end` when it begins (one message object per operation,
 * which the later events carry again, with `result` or `error` added), and `asyncStart` then
 * `asyncEnd` when it settles; `error` comes before `asyncStart` when it fails. `lost` is
 * synchronous: `start` and `end` bracket the moment the holder is told (its signal aborts,
 * its `lost` listeners run), before the lease is given back in Redis. Nothing is built or published while nobody subscribes.
 *
 * | channel | message | `result` | `error` |
 * | --- | --- | --- | --- |
 * | `nestjs-redis-lock:acquire` | {@link AcquireMessage} | the lease, or `null` (a try found it held) | `LockTimeoutError`, `LockAbortedError`, `LockBackendError`... |
 * | `nestjs-redis-lock:wait` | {@link WaitMessage} | none (see `outcome`) | the error the call ends with |
 * | `nestjs-redis-lock:release` | {@link LeaseMessage} | none | `LockLostError`, `LockBackendError` |
 * | `nestjs-redis-lock:extend` | {@link ExtendMessage} | none | `LockLostError`, `LockBackendError`, or Redis's error for a renewal |
 * | `nestjs-redis-lock:lost` | {@link LostMessage} | none | never |
 *
 * @example
 * import { tracingChannel } from 'node:diagnostics_channel';
 * import { LOCK_CHANNELS, type AcquireMessage } from 'nestjs-redis-lock/core';
 *
 * const started = new WeakMap<object, number>();
 * tracingChannel<unknown, AcquireMessage>(LOCK_CHANNELS.acquire).subscribe({
 *   start: (message) => void started.set(message, performance.now()),
 *   end: () => undefined,
 *   asyncStart: () => undefined,
 *   asyncEnd: (message) =>
 *     histogram.record(performance.now() - started.get(message)!, { key: message.key }),
 *   error: (message) => logger.warn(`lock ${message.key}: ${String(message.error)}`),
 * });
 * @publicApi
 */
export const LOCK_CHANNELS = Object.freeze({
  acquire: 'nestjs-redis-lock:acquire',
  wait: 'nestjs-redis-lock:wait',
  release: 'nestjs-redis-lock:release',
  extend: 'nestjs-redis-lock:extend',
  lost: 'nestjs-redis-lock:lost',
} as const);

/**
 * Message of `nestjs-redis-lock:acquire`: one `acquire()`, `tryAcquire()`, `withLock()` (its
 * acquisition) or acquisition of a permit, read lock or write lock, from the call to the grant
 * or the failure (waits included).
 * @publicApi
 */
export interface AcquireMessage {
  /** The key, without the manager's `keyPrefix`; for a multi-key lock its keys joined with " + ". */
  readonly key: string;
  /** Every key, in the canonical (sorted) order. */
  readonly keys: readonly string[];
  readonly kind: LeaseKind;
  /** `acquire` waits up to `waitTimeout`; `try` (`tryAcquire()`) reports a held lock as `null`. */
  readonly mode: 'acquire' | 'try';
  /** Time to live asked for, in milliseconds. */
  readonly ttl: number;
  /** How long the call may wait, in milliseconds (`0`: one attempt; `Infinity`). */
  readonly waitTimeout: number;
  /** Set on `asyncStart`/`asyncEnd` of a success: the lease, or `null` from a try that found it held. */
  result?: Lease | null;
  /** Set from `error` on: what the call rejected with. */
  error?: unknown;
}

/**
 * Message of `nestjs-redis-lock:wait`: the part of an acquisition spent waiting for someone
 * else's lock (published only for calls that had to wait).
 * @publicApi
 */
export interface WaitMessage {
  readonly key: string;
  readonly kind: LeaseKind;
  /** Milliseconds from the call to the first wait (the attempts before it). */
  readonly waitedBeforeMs: number;
  /** Set when the wait ends: milliseconds from the call to its end. */
  waitedMs?: number;
  /** Set when the wait ends: how the call ended. */
  outcome?: 'acquired' | 'timeout' | 'aborted' | 'error';
  /** Set from `error` on, when the call ended without the lease. */
  error?: unknown;
}

/**
 * Message of `nestjs-redis-lock:release` (a `release()`), and the base of the other messages
 * about a held lease.
 * @publicApi
 */
export interface LeaseMessage {
  readonly key: string;
  readonly kind: LeaseKind;
  /** The holder's fencing token (`0` for permits and read locks, which have none). */
  readonly fencingToken: number;
  /** Milliseconds the lease had been held when the operation began. */
  readonly heldMs: number;
  /** Set from `error` on: what the operation rejected with. */
  error?: unknown;
}

/**
 * Message of `nestjs-redis-lock:extend`: an `extend()` call, or a renewal sent by `autoExtend`.
 * @publicApi
 */
export interface ExtendMessage extends LeaseMessage {
  /** The ttl sent, in milliseconds. */
  readonly ttl: number;
  /** `true` for a renewal, `false` for `extend()`. */
  readonly automatic: boolean;
}

/**
 * Message of `nestjs-redis-lock:lost`: the lease was lost (its holder is told between `start`
 * and `end`).
 * @publicApi
 */
export interface LostMessage extends LeaseMessage {
  readonly reason: LockLostReason;
  /** Set from `end` on: the error the lease's `signal` aborted with. */
  lost?: LockLostError;
}

/** @internal */
export const acquireChannel: TracingChannel<unknown, AcquireMessage> = tracingChannel<
  unknown,
  AcquireMessage
>(LOCK_CHANNELS.acquire);
/** @internal */
export const waitChannel: TracingChannel<unknown, WaitMessage> = tracingChannel<
  unknown,
  WaitMessage
>(LOCK_CHANNELS.wait);
/** @internal */
export const releaseChannel: TracingChannel<unknown, LeaseMessage> = tracingChannel<
  unknown,
  LeaseMessage
>(LOCK_CHANNELS.release);
/** @internal */
export const extendChannel: TracingChannel<unknown, ExtendMessage> = tracingChannel<
  unknown,
  ExtendMessage
>(LOCK_CHANNELS.extend);
/** @internal */
export const lostChannel: TracingChannel<unknown, LostMessage> = tracingChannel<
  unknown,
  LostMessage
>(LOCK_CHANNELS.lost);

/**
 * Publishes the end of an operation traced by hand (one whose promise the engine does not
 * return): `error` first when it failed, then `asyncStart` and `asyncEnd`.
 * @internal
 */
export function publishSettled<M extends { error?: unknown }>(
  channel: TracingChannel<unknown, M>,
  message: M,
  error?: unknown,
): void {
  if (error !== undefined) {
    message.error = error;
    channel.error.publish(message);
  }
  channel.asyncStart.publish(message);
  channel.asyncEnd.publish(message);
}

/**
 * Publishes the beginning of an operation traced by hand: `start`, then `end` (its synchronous
 * part is over).
 * @internal
 */
export function publishStarted<M extends object>(
  channel: TracingChannel<unknown, M>,
  message: M,
): void {
  channel.start.publish(message);
  channel.end.publish(message);
}
