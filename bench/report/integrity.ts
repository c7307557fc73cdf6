import type { BenchResults } from './results.js';

/**
 * Faults that make a run worthless, as opposed to slow figures or missed targets: these, and
 * only these, make the benchmark exit non-zero (with a scenario that threw, recorded by main).
 */
export function findFaults(results: BenchResults): string[] {
  const faults: string[] = [];
  const contended = [
    ...(results.contention ?? []).map((shape) => ({ ...shape, scenario: 'contention' })),
    ...(results.semaphoreContention ?? []).map((shape) => ({
      ...shape,
      scenario: 'contended semaphore',
    })),
  ];
  for (const { label, contenders, scenario } of contended) {
    for (const f of contenders) {
      const where = `${scenario} (${label}): ${f.id}`;
      if (f.overlaps > 0) {
        faults.push(
          scenario === 'contention'
            ? `${where} let ${f.overlaps} critical sections overlap (mutual exclusion broken)`
            : `${where} let ${f.overlaps} critical sections begin while every permit was held (the limit broken)`,
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
