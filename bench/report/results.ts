import type { Mode } from '../config.js';
import type {
  ContentionParams,
  ContentionShapeFigures,
} from '../scenarios/contention/coordinator.js';
import type { DeadWaiterFigures, DeadWaiterParams } from '../scenarios/dead-waiter/coordinator.js';
import type {
  DecoratorFigures,
  DecoratorParams,
} from '../scenarios/decorator-overhead/decorator-overhead.js';
import type {
  HeldLocksFailure,
  HeldLocksFigures,
  HeldLocksParams,
} from '../scenarios/held-locks/coordinator.js';
import type { ParallelFigures, ParallelParams } from '../scenarios/parallel.js';
import type { RoundTripFigures } from '../scenarios/round-trips.js';
import type { UncontendedFigures, UncontendedParams } from '../scenarios/uncontended.js';
import type { MachineInfo } from '../support/machine.js';
import type { Versions } from '../support/versions.js';

export interface ContenderDescription {
  readonly id: string;
  readonly library: string;
  readonly tuning: string;
  readonly options: object;
  readonly settings: string;
}

export type TargetStatus = 'met' | 'missed' | 'not run';

export interface TargetOutcome {
  readonly scenario: number;
  /** The contender judged; absent for a target on the library as a whole (scenarios 4 and 5). */
  readonly contender?: string;
  /** The shape of scenario 3 it is judged in. */
  readonly shape?: string;
  readonly target: string;
  readonly status: TargetStatus;
  /** The figure the verdict rests on, in words with its number. */
  readonly measured: string;
}

/** Everything one run measured: the JSON file is exactly this. */
export interface BenchResults {
  readonly schema: 2;
  readonly mode: Mode;
  readonly startedAt: string;
  durationS?: number;
  readonly machine: MachineInfo;
  readonly versions: Versions;
  readonly contenders: readonly ContenderDescription[];
  readonly parameters: {
    readonly uncontended: UncontendedParams;
    readonly parallel: ParallelParams;
    readonly contention: ContentionParams;
    readonly semaphoreContention?: ContentionParams;
    readonly decorator: DecoratorParams;
    readonly heldLocks: HeldLocksParams;
    readonly deadWaiter: DeadWaiterParams;
  };
  /** How commands are counted, for the reader of the JSON. */
  readonly commandCounting: string;
  uncontended?: UncontendedFigures[];
  parallel?: ParallelFigures[];
  /** Scenario 2 again with a new key for every pair (2b); no target is judged on it. */
  parallelFreshKeys?: ParallelFigures[];
  /** One entry per shape, each with every contender. */
  contention?: ContentionShapeFigures[];
  /** Scenario 8: the semaphores' contenders, one entry per shape (no target is judged on it). */
  semaphoreContention?: ContentionShapeFigures[];
  decoratorOverhead?: DecoratorFigures;
  /** A rival that gave up is listed with why (HeldLocksFailure); ours giving up breaks the run. */
  heldLocks?: (HeldLocksFigures | HeldLocksFailure)[];
  roundTrips?: RoundTripFigures[];
  deadWaiter?: DeadWaiterFigures[];
  targets?: TargetOutcome[];
  /** Faults that make the run invalid (overlaps, library errors): non-empty means exit code 1. */
  broken: string[];
}
