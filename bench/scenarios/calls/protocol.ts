/** Messages between the scenarios that time single calls (1 and 2) and their contender processes. */

/** Scenario 1's turn: one loop, a fresh key per pair. */
export interface UncontendedMessage {
  readonly type: 'uncontended';
  readonly prefix: string;
  readonly iterations: number;
}

/** Scenario 2's turn: `loops` loops on one connection for `windowMs`. */
export interface ParallelMessage {
  readonly type: 'parallel';
  readonly prefix: string;
  readonly loops: number;
  readonly windowMs: number;
  /** A new key for every pair (2b) rather than one key per loop (2). */
  readonly freshKeys: boolean;
}

export type ToCallWorker = UncontendedMessage | ParallelMessage | { type: 'stop' };

export interface UncontendedResult {
  readonly type: 'uncontended';
  readonly elapsedS: number;
  readonly latenciesMs: number[];
  /** CPU time (user + system) of the contender's process during the turn, in µs. */
  readonly cpuUs: number;
}

export interface ParallelResult {
  readonly type: 'parallel';
  readonly completed: number;
  readonly elapsedS: number;
  readonly cpuUs: number;
}

export type FromCallWorker = { type: 'ready' } | UncontendedResult | ParallelResult;
