import type { LeaderTerm } from '../leader/leader-term.interface.js';

/**
 * What a candidate does when elected and when its term ends, for `LockManager.electLeader()`.
 * @publicApi
 */
export interface LeaderElectionOptions {
  /**
   * Called when this candidate becomes the leader. `signal` aborts when the term ends: before
   * any other candidate can be elected when this process is alive to notice (a `stop()`, a
   * lease it could not renew in time, the manager closing). Start the leader's work here and
   * tie it to `signal`; pass `term.fencingToken` to the storage the leader writes to, so a
   * leader that was paused (a stopped process, a long garbage collection) cannot overwrite the
   * work of a later term. What it returns is not awaited; a rejection goes to `onError`.
   */
  onElected(signal: AbortSignal, term: LeaderTerm): unknown;
  /**
   * Called once when a term ends, right after its signal aborted, with the abort reason: a
   * `LockReleasedError` after `stop()`, a `LockLostError` when the leader lock was lost (its
   * `reason` says why: `expired`, `taken`, `unconfirmed`, `closed`). The candidate then runs
   * for the next term unless it was stopped.
   */
  onRevoked?(reason: unknown, term: LeaderTerm): void;
  /**
   * Failures that do not end the election: Redis refusing the campaign (it is retried with
   * backoff), `onElected` or `onRevoked` throwing or rejecting.
   * @default a process warning (`process.emitWarning`, code `REDIS_LOCK_LEADER_ERROR`)
   */
  onError?(error: unknown): void;
  /**
   * Time to live of the leader lock, in milliseconds; renewed about every ttl/3 while the leader
   * lives. A leader that dies or is cut off is replaced within this long (plus one round trip);
   * a leader that stays up but cannot renew steps down before it ends.
   * @default the manager's `ttl`
   */
  ttl?: number;
  /** Ends the candidacy when aborted, as `stop()` does. */
  signal?: AbortSignal;
}
