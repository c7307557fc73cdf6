import { totalCommands, type CommandCounts } from '../../support/command-counter.js';
import { percentile, round, sum } from '../../support/stats.js';
import type { Section } from './protocol.js';

export interface WindowFigures {
  readonly criticalSectionsPerSec: number;
  readonly criticalSections: number;
  /**
   * From a release being sent to the next grant, whoever gets it (for a semaphore: from the
   * latest release before a grant).
   */
  readonly handoffGapP50Ms: number;
  readonly handoffGapP99Ms: number;
  /** Mean time a worker held the lock, and mean handoff gap: CS/s ≈ 1000 / (hold + gap). */
  readonly holdMeanMs: number;
  readonly handoffGapMeanMs: number;
  /**
   * From a worker asking for the lock to getting it. A wait still unanswered when the window
   * ends counts until that moment (its least possible length): left out, a lock that starves
   * some workers would show only the short waits of the others.
   */
  readonly waitP50Ms: number;
  readonly waitP99Ms: number;
  readonly commandsPerCriticalSection: number;
  /** Critical sections per worker in the window: the least and the most any worker had. */
  readonly perWorkerMin: number;
  readonly perWorkerMax: number;
  /** Workers that completed no critical section in the window: starved. */
  readonly starvedWorkers: number;
  readonly fairness: number;
  /**
   * The fairness a perfectly even lock would show with this many critical sections among this
   * many workers (⌊N/n⌋ / ⌈N/n⌉): min/max cannot do better, so a lower figure is the lock's.
   */
  readonly evenSplitFairness: number;
  /**
   * Critical sections that began while as many others as may hold at once were still running
   * (for a lock: before the previous one ended); the whole run, not only the window.
   */
  readonly overlaps: number;
}

/**
 * Turns the critical sections every worker of every process recorded into the scenario's
 * figures. Timestamps come from one system-wide monotonic clock, so sections from different
 * processes can be put in one order.
 */
export function analyzeSections(
  sections: readonly Section[],
  workerCount: number,
  measureFrom: number,
  measureUntil: number,
  commands: CommandCounts,
  /** When each acquire asked for before measureUntil and answered after it was asked for. */
  unanswered: readonly number[] = [],
  /** How many may hold at once: 1 for a lock, the permits of a semaphore. */
  permits = 1,
): WindowFigures {
  const ordered = [...sections].sort((a, b) => a[1] - b[1]);
  let overlaps = 0;
  // The ends of the sections still running at the current acquisition, earliest first, and the
  // latest end already passed: the release that freed what the acquisition took.
  const running: number[] = [];
  let latestEnd = -Infinity;
  const gaps: number[] = [];
  const waits: number[] = [];
  const holds: number[] = [];
  const perWorker = new Array<number>(workerCount).fill(0);
  let inWindow = 0;
  for (const [askedAt, acquiredAt, releasedAt, worker] of ordered) {
    while (running.length > 0 && running[0]! <= acquiredAt) {
      latestEnd = Math.max(latestEnd, running.shift()!);
    }
    // acquiredAt is taken after Redis granted the lock and releasedAt before the release was
    // sent, so a lock that keeps its limit can never produce an acquisition while `permits`
    // earlier sections are still running.
    if (running.length >= permits) overlaps++;
    if (acquiredAt >= measureFrom && acquiredAt < measureUntil) {
      inWindow++;
      perWorker[worker]!++;
      waits.push(acquiredAt - askedAt);
      holds.push(releasedAt - acquiredAt);
      if (latestEnd !== -Infinity) gaps.push(acquiredAt - latestEnd);
    }
    running.splice(sortedIndex(running, releasedAt), 0, releasedAt);
  }
  for (const askedAt of unanswered) waits.push(measureUntil - askedAt);
  const windowS = (measureUntil - measureFrom) / 1000;
  const min = Math.min(...perWorker);
  const max = Math.max(...perWorker);
  return {
    criticalSectionsPerSec: round(inWindow / windowS, 1),
    criticalSections: inWindow,
    holdMeanMs: round(sum(holds) / holds.length),
    handoffGapMeanMs: round(sum(gaps) / gaps.length),
    handoffGapP50Ms: round(percentile(gaps, 50)),
    handoffGapP99Ms: round(percentile(gaps, 99)),
    waitP50Ms: round(percentile(waits, 50), 2),
    waitP99Ms: round(percentile(waits, 99), 2),
    commandsPerCriticalSection: round(totalCommands(commands) / Math.max(1, inWindow), 2),
    perWorkerMin: min,
    perWorkerMax: max,
    starvedWorkers: perWorker.filter((n) => n === 0).length,
    fairness: round(max === 0 ? 0 : min / max),
    evenSplitFairness: round(
      inWindow % workerCount === 0
        ? 1
        : Math.floor(inWindow / workerCount) / Math.ceil(inWindow / workerCount),
    ),
    overlaps,
  };
}

/** Where `value` goes in the ascending `values` (after any equal ones). */
function sortedIndex(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}
