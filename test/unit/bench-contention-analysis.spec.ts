import { analyzeSections } from '../../bench/scenarios/contention/analysis.js';
import type { Section } from '../../bench/scenarios/contention/protocol.js';

// The benchmark's check of exclusion: the only figure of scenarios 3 and 8 that fails a run.
describe("the benchmark's analysis of critical sections", () => {
  const analyze = (sections: Section[], permits?: number) =>
    analyzeSections(sections, 4, 0, 1_000, {}, [], permits);

  it('counts no overlap for a lock held one after the other, and the gaps between holders', () => {
    const figures = analyze([
      [0, 10, 20, 0],
      [5, 21, 30, 1],
      [6, 30, 40, 2],
    ]);
    expect(figures.overlaps).toBe(0);
    expect(figures.handoffGapMeanMs).toBe(0.5);
    expect(figures.criticalSections).toBe(3);
  });

  it('counts a lock section that began before an earlier one ended, even one two places back', () => {
    // The second ends before the third begins, the first does not.
    const figures = analyze([
      [0, 10, 50, 0],
      [0, 20, 25, 1],
      [0, 30, 35, 2],
    ]);
    expect(figures.overlaps).toBe(2);
  });

  it('lets as many sections as the semaphore has permits run at once, and counts one more', () => {
    const twoAtOnce: Section[] = [
      [0, 10, 50, 0],
      [0, 20, 60, 1],
      [0, 55, 70, 2],
    ];
    expect(analyze(twoAtOnce, 2).overlaps).toBe(0);
    expect(analyze(twoAtOnce, 1).overlaps).toBe(2);
    // At 58 the sections of 20-60 and 55-70 still run.
    expect(analyze([...twoAtOnce, [0, 58, 80, 3]], 2).overlaps).toBe(1);
  });

  it("measures a semaphore's gap from the latest release before each grant", () => {
    const figures = analyze(
      [
        [0, 10, 50, 0],
        [0, 20, 60, 1],
        [0, 52, 70, 2],
        [0, 63, 80, 3],
      ],
      2,
    );
    // 52 - 50 and 63 - 60.
    expect(figures.handoffGapMeanMs).toBe(2.5);
    expect(figures.overlaps).toBe(0);
  });
});
