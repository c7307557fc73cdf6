import type { CommandCounts } from '../../support/command-counter.js';

/** Coordinator → worker process: run one contender on one key for one window. */
export interface RunMessage {
  readonly type: 'run';
  readonly contenderId: string;
  readonly key: string;
  /** Async workers in this process. */
  readonly workers: number;
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
  /** Acquires the library gave up on (its timeout or retry limit). */
  readonly failures: number;
  /** Commands this process sent between measureFrom and measureUntil. */
  readonly commands: CommandCounts;
  /** Anything else a library threw: the run is broken. */
  readonly errors: string[];
}

export interface ReadyMessage {
  readonly type: 'ready';
}

export type FromWorker = RunResult | ReadyMessage;
