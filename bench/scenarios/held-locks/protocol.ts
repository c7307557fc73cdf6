import type { CommandCounts } from '../../support/command-counter.js';

/** What one held-locks process reports, once, before it exits. */
export interface HeldLocksReport {
  readonly locks: number;
  readonly acquireMs: number;
  readonly rssPerLockBytes: number;
  readonly heapPerLockBytes: number;
  /** Timers (setTimeout/setInterval) created while taking the locks and still alive after. */
  readonly timersWhileHeld: number;
  readonly holdMs: number;
  /** Commands sent while holding: nothing but renewals happens then. */
  readonly commandsWhileHeld: CommandCounts;
  /** Event-loop delay while holding: how late a 10 ms timer fired. */
  readonly eventLoopDelayP50Ms: number;
  readonly eventLoopDelayP99Ms: number;
  readonly eventLoopDelayMaxMs: number;
  /** Reported lost by the library during the hold. */
  readonly lost: number;
  /** Lock keys still in Redis with a ttl at the end of the hold (renewal kept them alive). */
  readonly stillHeld: number;
}
