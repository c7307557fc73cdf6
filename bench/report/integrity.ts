import type { BenchResults } from './results.js';

/**
 * Faults that make a run worthless, as opposed to slow figures or missed targets: these, and
 * only these, make the benchmark exit non-zero (with a scenario that threw, recorded by main).
 */
export function findFaults(results: BenchResults): string[] {
  const faults: string[] = [];
  for (const { label, contenders } of results.contention ?? []) {
    for (const f of contenders) {
      const where = `contention (${label}): ${f.id}`;
      if (f.overlaps > 0) {
        faults.push(
          `${where} let ${f.overlaps} critical sections overlap (mutual exclusion broken)`,
        );
      }
      for (const error of f.errors) faults.push(`${where} threw: ${error}`);
      if (f.criticalSectionsPerSec === 0) faults.push(`${where} completed no critical section`);
    }
  }
  for (const f of results.roundTrips ?? []) {
    if (!f.counterAgrees) {
      faults.push(
        `round trips: the client-side command counter disagrees with MONITOR for ${f.id}`,
      );
    }
  }
  return faults;
}
