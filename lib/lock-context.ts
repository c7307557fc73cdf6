import { AsyncLocalStorage } from 'node:async_hooks';
import type { LeaseKind } from './core/interfaces/lease-kind.interface.js';
import type { Lease } from './core/lease.js';

/**
 * One lease held by the current async call chain: set by `@DistributedLock`,
 * `@DistributedSemaphore` and the service's `with*` methods around the work they run.
 * @internal
 */
export interface LockFrame {
  /** The lease the work runs under (for a re-entered lease, the one held further out). */
  readonly lease: Lease;
  /** What the work asked for: a write lock re-entered as a read lock is a `read-lock` frame. */
  readonly kind: LeaseKind;
  /** The keys this frame covers (for a re-entered lock, the keys asked for). */
  readonly keys: readonly string[];
  /** The service that took it: a frame of another application never counts. */
  readonly owner: object;
  readonly parent: LockFrame | undefined;
}

/** @internal */
export const lockContext = new AsyncLocalStorage<LockFrame>();

/**
 * The keys `owner` holds in the current call chain as one of `kinds`, mapped to the lease that
 * holds each. Frames whose lease is no longer held are skipped: a callback that outlived its
 * method must not borrow a released lease.
 * @internal
 */
export function heldInChain(owner: object, kinds: readonly LeaseKind[]): Map<string, Lease> {
  const held = new Map<string, Lease>();
  for (let frame = lockContext.getStore(); frame; frame = frame.parent) {
    if (frame.owner !== owner || !kinds.includes(frame.lease.kind) || !frame.lease.isHeld) {
      continue;
    }
    for (const key of frame.keys) if (!held.has(key)) held.set(key, frame.lease);
  }
  return held;
}
