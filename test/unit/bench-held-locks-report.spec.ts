import { buildTables } from '../../bench/report/tables.js';
import { evaluateTargets } from '../../bench/report/targets.js';
import type { BenchResults } from '../../bench/report/results.js';
import { firstErrorLine } from '../../bench/scenarios/held-locks/coordinator.js';
import { CONFIGS } from '../../bench/config.js';

// A rival that gives up holding its locks (redlock does on a loaded machine) is a figure about
// that rival: the run goes on, the table says so, and ours is still judged.
describe("the benchmark's many-held-locks report", () => {
  const ours = {
    library: 'ours' as const,
    settings: 'defaults',
    locks: 1_000,
    acquireMs: 120,
    rssPerLockBytes: 900,
    heapPerLockBytes: 700,
    timersWhileHeld: 3,
    holdMs: 3_000,
    commandsWhileHeld: {},
    eventLoopDelayP50Ms: 0.1,
    eventLoopDelayP99Ms: 0.4,
    eventLoopDelayMaxMs: 1.2,
    lost: 0,
    stillHeld: 1_000,
    renewalCommandsPerSec: 2.4,
    renewalCommandsPerLockPerMin: 0.144,
  };
  const results = {
    parameters: CONFIGS.quick,
    heldLocks: [
      ours,
      {
        library: 'redlock' as const,
        settings: 'defaults',
        failure: 'unable to achieve a quorum during its retry window',
      },
    ],
  } as unknown as BenchResults;

  it('shows the rival that gave up, with why, beside the figures of the others', () => {
    const table = buildTables(results).find((t) => t.title.startsWith('5.'))!;
    expect(table.rows.map((row) => row.slice(0, 2))).toEqual([
      ['ours', '2.4'],
      ['redlock', 'gave up'],
    ]);
    expect(table.notes).toEqual([
      'redlock gave up (not counted as a broken run): unable to achieve a quorum during its retry window',
    ]);
  });

  it('still judges ours on its own figures', () => {
    const judged = evaluateTargets(results).filter((t) => t.scenario === 5);
    expect(judged.map((t) => t.status)).toEqual(['met', 'met', 'met']);
  });

  it("takes a worker's error message, not its stack, as the reason", () => {
    const output = [
      '/work/node_modules/redlock/dist/cjs/index.js:311',
      '    throw new ExecutionError(',
      '',
      'ExecutionError: The operation was unable to achieve a quorum during its retry window.',
      '    at Redlock._execute (index.js:311:19)',
    ].join('\n');
    expect(firstErrorLine(output)).toBe(
      'ExecutionError: The operation was unable to achieve a quorum during its retry window.',
    );
  });
});
