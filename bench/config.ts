import type { ContentionParams } from './scenarios/contention/coordinator.js';
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
  readonly decorator: DecoratorParams;
  readonly heldLocks: HeldLocksParams;
}

/** The shape the issue asks for; only the amounts differ between the modes. */
const CONTENTION_SHAPE = { processes: 4, workersPerProcess: 4, holdMs: 1, pauseMs: 5 } as const;

/**
 * Full: the figures to publish (several minutes). Quick: every scenario, every contender, for a
 * short while, so CI notices a broken benchmark; its figures are too short to quote.
 */
export const CONFIGS: Readonly<Record<Mode, BenchConfig>> = {
  full: {
    mode: 'full',
    // 5 rounds of 5,000: 25,000 iterations per contender.
    uncontended: { rounds: 5, iterations: 5_000, warmup: 500 },
    parallel: { rounds: 5, loops: 64, windowMs: 2_000 },
    contention: { ...CONTENTION_SHAPE, rounds: 3, warmupMs: 500, windowMs: 5_000 },
    decorator: { rounds: 5, iterations: 5_000, warmup: 500 },
    heldLocks: { locks: 10_000, ttlMs: 10_000, holdMs: 30_000 },
  },
  quick: {
    mode: 'quick',
    uncontended: { rounds: 2, iterations: 300, warmup: 50 },
    parallel: { rounds: 2, loops: 64, windowMs: 300 },
    contention: { ...CONTENTION_SHAPE, rounds: 1, warmupMs: 200, windowMs: 1_000 },
    decorator: { rounds: 2, iterations: 300, warmup: 50 },
    heldLocks: { locks: 1_000, ttlMs: 1_500, holdMs: 3_000 },
  },
};
