import type { CommandCounts } from '../../support/command-counter.js';

/**
 * Who shares a lock manager (client, Redlock instance) and a connection: all the workers of a
 * process (one application instance running several async workers), or nobody (each worker its
 * own connection and its own manager, as that many application instances would have).
 */
export type ManagerScope = 'process' | 'worker';

/** One shape of the contention scenario. */
export interface ContentionShape {
  readonly managers: ManagerScope;
  /** Workers in all, spread evenly over the processes. */
  readonly workers: number;
  /** Pause after a release before competing again; 0 re-acquires at once (a consumer loop). */
  readonly pauseMs: number;
}

/** Coordinator → worker process: run one contender on one key for one window. */
export interface RunMessage {
  readonly type: 'run';
  readonly contenderId: string;
  readonly key: string;
  /** Async workers in this process. */
  readonly workers: number;
  readonly managers: ManagerScope;
  /** Monotonic times (ms, shared by every process of the machine). */
  readonly startAt: number;
  readonly measureFrom: number;
  readonly measureUntil: number;
  readonly holdMs: number;
  readonly pauseMs: number;
}

export interface StopMessage {
  readonly type: 'stop';
}

export type ToWorker = RunMessage | StopMessage;

/** One critical section: [acquiredAt, releasedAt] in monotonic ms, and who held it. */
export type Section = [askedAt: number, acquiredAt: number, releasedAt: number, worker: number];

export interface RunResult {
  readonly type: 'result';
  readonly sections: Section[];
  /** When each acquire asked for before measureUntil and answered after it was asked for. */
  readonly unanswered: number[];
  /** Acquires the library gave up on (its timeout or retry limit). */
  readonly failures: number;
  /** Commands this process sent between measureFrom and measureUntil, on all its connections. */
  readonly commands: CommandCounts;
  /** The EVALSHA among those, by script name (ioredis defineCommand name, or digest). */
  readonly scripts: CommandCounts;
  /** Anything else a library threw: the run is broken. */
  readonly errors: string[];
}

export interface ReadyMessage {
  readonly type: 'ready';
}

export type FromWorker = RunResult | ReadyMessage;
