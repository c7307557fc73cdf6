import type { LockLostError } from '../core/errors/lock-lost.error.js';
import type { Lease } from '../core/lease.js';

/**
 * A lease entered by the current call chain: run work inside it, then exit.
 * @internal
 */
export interface LockEntry {
  readonly lease: Lease;
  /** Whether this entry took the lease (and releases it), or re-entered one its chain holds. */
  readonly owns: boolean;
  /** Runs `fn` with this lease as `current()`/`currentLease()` for everything it calls. */
  run<T>(fn: () => T): T;
  /** Releases what this entry acquired (nothing, when it re-entered a held lease). */
  exit(): Promise<void>;
  /**
   * Releases what this entry acquired, and resolves with the `LockLostError` when it was lost
   * while held. A release Redis did not confirm is not a loss: the lease was valid until then,
   * expires by itself, and the failure is logged (`backendError`).
   */
  finish(): Promise<LockLostError | undefined>;
  /** `holding lock "order:1"`, for the log of a shutdown that cut the call. */
  readonly holding: string;
}
