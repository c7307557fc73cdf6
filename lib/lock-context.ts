import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lock } from './core/lock.js';

/**
 * One lock held by the current async call chain: set by `@DistributedLock` and
 * `RedisLockService.withLock` around the work they run.
 * @internal
 */
export interface LockFrame {
  readonly lock: Lock;
  /** The keys this frame covers (for a re-entered lock, the keys asked for). */
  readonly keys: readonly string[];
  /** The service that took it: a frame of another application never counts. */
  readonly owner: object;
  readonly parent: LockFrame | undefined;
}

/** @internal */
export const lockContext = new AsyncLocalStorage<LockFrame>();

/**
 * The keys `owner` holds in the current call chain, mapped to the lock that holds each. Frames
 * whose lock is no longer held are skipped: a callback that outlived its method must not borrow
 * a released lock.
 * @internal
 */
export function heldInChain(owner: object): Map<string, Lock> {
  const held = new Map<string, Lock>();
  for (let frame = lockContext.getStore(); frame; frame = frame.parent) {
    if (frame.owner !== owner || !frame.lock.isHeld) continue;
    for (const key of frame.keys) if (!held.has(key)) held.set(key, frame.lock);
  }
  return held;
}
