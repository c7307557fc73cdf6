// What a chaos round records, in every process, for the oracle to judge afterwards. Times are
// milliseconds of CLOCK_MONOTONIC (process.hrtime), comparable across the processes of one
// machine.

/** Now, in milliseconds of the machine's monotonic clock, comparable across processes. */
export function machineNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * One look at a lease from its holder's side: at `at` the holder believed it held the lease
 * until `until` (`at + lease.remainingTime`); `until <= at` means it no longer believed it held
 * it at all (released, lost or past its validity).
 */
export type Observation = readonly [at: number, until: number];

/** One lease handed to a caller, and every change of its holder's belief. */
export interface LeaseRecord {
  /** Unique in the round: process, actor and a counter. */
  readonly id: string;
  readonly process: string;
  readonly manager: string;
  /** The keys without the prefix. */
  readonly keys: readonly string[];
  readonly token: string;
  readonly fencingToken: number;
  /** The call that returned it: acquire, tryAcquire, withLock or withPermit. */
  readonly via: string;
  readonly ttl: number;
  readonly autoExtend: boolean;
  /** In time order; the first is taken when the call returned the lease. */
  readonly observations: Observation[];
  /**
   * Set for semaphore permits (one key, no fencing token, 0): how many permits this holder took,
   * and how many the semaphore has. The oracle sums weights where it forbids overlaps of locks.
   */
  readonly permit?: { readonly weight: number; readonly permits: number };
  /** What its holder did with it (extensions, the release), at machine time: for reports. */
  readonly notes: Array<readonly [at: number, note: string]>;
  /** How its holder ended it, for reports. */
  end?: string;
}

/**
 * A Redis restart and what Redis held when it went down: clients were paused for writes
 * (CLIENT PAUSE WRITE, which also stops expiry), every lock key was read, then the server was
 * killed. A lease in `held` was forgotten by Redis at that instant, legitimately.
 */
export interface RestartRecord {
  /** When writes were paused: nothing was granted after this on the old server. */
  readonly pausedAt: number;
  /** When the new server answered. */
  readonly upAt: number;
  /**
   * `key + '\n' + token` of every lock Redis held when it was killed, and of every holder of a
   * semaphore permit whose expiry was still ahead then.
   */
  readonly held: readonly string[];
}

/** A broken guarantee, with what is needed to understand it. */
export interface Violation {
  readonly kind:
    | 'overlap'
    | 'over-permits'
    | 'fencing'
    | 'leftover-key'
    | 'leftover-resource'
    | 'listener-left'
    | 'unhandled-rejection'
    | 'uncaught-exception'
    | 'unexpected-error'
    | 'after-close'
    | 'hung'
    | 'worker-failed';
  readonly message: string;
  /** Where in the round it happened (machine clock ms), when known. */
  readonly at?: number;
}

/** A fault the round injected, for the report and to explain violations. */
export interface FaultRecord {
  readonly kind: string;
  readonly at: number;
  readonly detail: string;
}
