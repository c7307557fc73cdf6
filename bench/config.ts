import type { ContentionParams } from './scenarios/contention/coordinator.js';
import type { ContentionShape } from './scenarios/contention/protocol.js';
import type { DeadWaiterParams } from './scenarios/dead-waiter/coordinator.js';
import type { DecoratorParams } from './scenarios/decorator-overhead/decorator-overhead.js';
import type { HeldLocksParams } from './scenarios/held-locks/coordinator.js';
import type { ParallelParams } from './scenarios/parallel.js';
import type { UncontendedParams } from './scenarios/uncontended.js';

export type Mode = 'full' | 'quick';

export interface BenchConfig {
  readonly mode: Mode;
  readonly uncontended: UncontendedParams;
  readonly parallel: ParallelParams;
  readonly contention: ContentionParams;
  /** Scenario 8: a semaphore's permits instead of a lock. */
  readonly semaphoreContention: ContentionParams;
  readonly decorator: DecoratorParams;
  readonly heldLocks: HeldLocksParams;
  readonly deadWaiter: DeadWaiterParams;
}

/**
 * Every shape the issue names: one lock manager per process (4 application instances running
 * several async workers each) and one per worker (as many instances as workers); a 5 ms pause
 * after a release and none (a consumer loop); 16 workers and 64. Always 4 processes, so the
 * machine's load is alike and only the number of managers changes between the two scopes.
 */
const ALL_SHAPES: readonly ContentionShape[] = (['process', 'worker'] as const).flatMap(
  (managers) =>
    [5, 0].flatMap((pauseMs) => [16, 64].map((workers) => ({ managers, workers, pauseMs }))),
);

/**
 * The quick mode runs two opposite corners, which between them take every value of every
 * dimension (so every code path of the harness runs in CI) in a quarter of the time.
 */
const QUICK_SHAPES: readonly ContentionShape[] = [
  { managers: 'process', workers: 16, pauseMs: 5 },
  { managers: 'worker', workers: 64, pauseMs: 0 },
];

const CONTENTION = { processes: 4, holdMs: 1 } as const;

/**
 * Scenario 8's shapes: the two where a wakeup per manager costs most (16 managers, no pause) and
 * where it costs least (4 managers, a pause), with 16 workers for 4 permits.
 */
const SEMAPHORE_SHAPES: readonly ContentionShape[] = [
  { managers: 'worker', workers: 16, pauseMs: 0 },
  { managers: 'process', workers: 16, pauseMs: 5 },
];

/**
 * Full: the figures to publish (several minutes). Quick: every scenario, every contender, for a
 * short while, so CI notices a broken benchmark; its figures are too short to quote.
 */
export const CONFIGS: Readonly<Record<Mode, BenchConfig>> = {
  full: {
    mode: 'full',
    // 5 rounds of 5,000: 25,000 iterations per contender.
    uncontended: { rounds: 5, iterations: 5_000, warmup: 5_000 },
    parallel: { rounds: 5, loops: 64, windowMs: 2_000 },
    // 8 shapes × 10 contenders × 3 rounds = 240 runs: windows of 1.2 s (16 workers) and 2.56 s
    // (64 workers), plus about 0.6 s of start, warm-up and drain each: about 10 minutes.
    contention: {
      ...CONTENTION,
      shapes: ALL_SHAPES,
      rounds: 3,
      warmupMs: 300,
      windowMs: 1_200,
      windowMsPerWorker: 40,
    },
    semaphoreContention: {
      ...CONTENTION,
      shapes: SEMAPHORE_SHAPES,
      rounds: 3,
      warmupMs: 300,
      windowMs: 1_200,
      windowMsPerWorker: 40,
    },
    decorator: { rounds: 5, iterations: 5_000, warmup: 500 },
    heldLocks: { locks: 10_000, ttlMs: 10_000, holdMs: 30_000 },
    // The engine's default waiterTtl (5000 ms): the stall users would see.
    deadWaiter: { trials: 3, waiterTtlMs: undefined },
  },
  quick: {
    mode: 'quick',
    uncontended: { rounds: 2, iterations: 300, warmup: 50 },
    parallel: { rounds: 2, loops: 64, windowMs: 300 },
    contention: {
      ...CONTENTION,
      shapes: QUICK_SHAPES,
      rounds: 1,
      warmupMs: 200,
      windowMs: 500,
      windowMsPerWorker: 10,
    },
    semaphoreContention: {
      ...CONTENTION,
      shapes: SEMAPHORE_SHAPES.slice(0, 1),
      rounds: 1,
      warmupMs: 200,
      windowMs: 500,
      windowMsPerWorker: 10,
    },
    decorator: { rounds: 2, iterations: 300, warmup: 50 },
    heldLocks: { locks: 1_000, ttlMs: 1_500, holdMs: 3_000 },
    // A shorter waiterTtl, so the stall costs half a second instead of five.
    deadWaiter: { trials: 1, waiterTtlMs: 500 },
  },
};
