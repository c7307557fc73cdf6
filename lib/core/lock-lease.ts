import type { LeaseDriver, LeaseParams } from './backend/lease-driver.interface.js';
import { LockLostError, type LockLostReason } from './errors/lock-lost.error.js';
import { LockReleasedError } from './errors/lock-released.error.js';
import type { LeaseKind } from './interfaces/lease-kind.interface.js';

/** @internal */
export type LeaseState = 'held' | 'releasing' | 'released' | 'lost';

/**
 * The mutable state behind one held lease (a `Lock`, `ReadLock` or `Permit` handle), shared by
 * the handle, the manager and the renewal scheduler. Times are monotonic milliseconds.
 * @internal
 */
export class LockLease {
  state: LeaseState = 'held';
  /** Whether an extension sent by the scheduler has not been answered yet. */
  renewing = false;
  releasing: Promise<void> | undefined;
  lostError: LockLostError | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;

  constructor(
    /** The key, or for a multi-key lock its keys joined with " + ": for messages and events. */
    readonly key: string,
    /** The lock's keys without the prefix, in canonical order. */
    readonly keys: readonly string[],
    /** The lock's keys as Redis names them, in the same order. */
    readonly redisKeys: readonly string[],
    readonly token: string,
    readonly fencingToken: number,
    /** ttl used by renewals; a manual extend(ttl) changes it. */
    public ttl: number,
    /** End of the validity window: the lock may be relied on until then. */
    public expiresAt: number,
    /** When the scheduler should extend next; Infinity without autoExtend. */
    public renewAt: number,
    readonly acquiredAt: number,
    readonly autoExtend: boolean,
    /** How this lease is renewed and released in Redis (the backend, for plain locks). */
    readonly driver: LeaseDriver,
    readonly kind: LeaseKind,
    /** Set for semaphore permits. */
    readonly params: LeaseParams | undefined,
  ) {}

  /** Created on first use: most locks are released without anyone reading their signal. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.state === 'released' || this.state === 'lost') {
        this.controller.abort(this.reason());
      }
    }
    return this.controller.signal;
  }

  /** Marks the lease lost and aborts its signal. Returns false if it was already over. */
  markLost(reason: LockLostReason, cause?: unknown): boolean {
    if (this.state === 'released' || this.state === 'lost') return false;
    this.state = 'lost';
    this.lostError = new LockLostError(
      this.key,
      reason,
      this.fencingToken,
      cause === undefined ? { kind: this.kind } : { cause, kind: this.kind },
    );
    this.abort(this.lostError);
    return true;
  }

  /** Marks the lease released; its signal (if anyone made one) aborts with LockReleasedError. */
  markReleased(): void {
    this.state = 'released';
    // Building an Error captures a stack: only worth it when a signal is there to carry it.
    if (this.controller) this.controller.abort(this.reason());
  }

  private reason(): unknown {
    this.abortReason ??= new LockReleasedError(this.key);
    return this.abortReason;
  }

  private abort(reason: unknown): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}
