import { clientAdapterTable } from './client-adapter-table.js';
import { fixed, thousands, type Table } from './format.js';
import type { BenchResults, TargetOutcome } from './results.js';
import type { ParallelFigures } from '../scenarios/parallel.js';
import type {
  ContentionParams,
  ContentionShapeFigures,
} from '../scenarios/contention/coordinator.js';
import { SEMAPHORE_PERMITS } from '../libraries/semaphores.js';

function commandList(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

/** The tables of a run, in scenario order; scenarios that did not run are left out. */
export function buildTables(results: BenchResults): Table[] {
  const tables: Table[] = [];
  const p = results.parameters;

  if (results.uncontended) {
    tables.push({
      title: `1. Uncontended: one loop, acquire + release on fresh keys (${p.uncontended.rounds} rounds × ${thousands(p.uncontended.iterations)})`,
      headers: [
        'contender',
        'ops/s',
        '× floor',
        'p50 ms',
        'p99 ms',
        'client CPU µs',
        'Redis CPU µs',
      ],
      rows: results.uncontended.map((f) => [
        f.id,
        thousands(f.opsPerSec),
        fixed(f.ratioToFloor, 3),
        fixed(f.p50Ms, 3),
        fixed(f.p99Ms, 3),
        fixed(f.clientCpuUsPerOp, 1),
        fixed(f.redisCpuUsPerOp, 1),
      ]),
      notes: [
        "CPU µs = CPU time per acquire + release, of each contender's own process (library, ioredis, socket writes) and of redis-server",
      ],
    });
  }

  const parallelTable = (figures: readonly ParallelFigures[], title: string): void => {
    tables.push({
      title,
      headers: ['contender', 'ops/s', '× floor', 'client CPU µs', '× floor CPU', 'Redis CPU µs'],
      rows: figures.map((f) => [
        f.id,
        thousands(f.opsPerSec),
        fixed(f.ratioToFloor, 3),
        fixed(f.clientCpuUsPerOp, 1),
        fixed(f.clientCpuRatioToFloor, 3),
        fixed(f.redisCpuUsPerOp, 1),
      ]),
      notes: [
        "CPU µs = CPU time per acquire + release while the loops ran, of each contender's own process (library, ioredis, socket writes) and of redis-server; × floor CPU = median over rounds of the ratio to the floor in the same round",
      ],
    });
  };
  const runs = `${p.parallel.rounds} rounds × ${p.parallel.windowMs} ms`;
  if (results.parallel) {
    parallelTable(
      results.parallel,
      `2. Parallel: ${p.parallel.loops} loops, own key each, one connection (${runs})`,
    );
  }
  if (results.parallelFreshKeys) {
    parallelTable(
      results.parallelFreshKeys,
      `2b. Parallel on fresh keys: ${p.parallel.loops} loops, a new key every pair, one connection (${runs}; no target)`,
    );
  }

  const contentionTables = (
    shapes: readonly ContentionShapeFigures[],
    c: ContentionParams,
    title: (n: number, label: string, windowMs: number) => string,
    permits: number,
  ): void => {
    const semaphore = permits > 1;
    shapes.forEach(({ shape, label, windowMs, contenders }, n) => {
      const last = n === shapes.length - 1;
      tables.push({
        title: title(n, label, windowMs),
        headers: [
          'contender',
          'CS/s',
          '× spin floor',
          'hold ms',
          'gap mean ms',
          'gap p99 ms',
          'wait p50 ms',
          'wait p99 ms',
          'cmds/CS',
          'min/max',
          'even split',
          'fewest/most',
          'starved',
          'failures',
          semaphore ? 'over limit' : 'overlaps',
        ],
        rows: contenders.map((f) => [
          f.id,
          fixed(f.criticalSectionsPerSec, 0),
          fixed(f.ratioToSpinFloor, 3),
          fixed(f.holdMeanMs, 3),
          fixed(f.handoffGapMeanMs, 3),
          fixed(f.handoffGapP99Ms, 3),
          fixed(f.waitP50Ms, 1),
          fixed(f.waitP99Ms, 1),
          fixed(f.commandsPerCriticalSection, 2),
          fixed(f.fairness, 2),
          fixed(f.evenSplitFairness, 2),
          `${f.worstRoundMinMax[0]}/${f.worstRoundMinMax[1]}`,
          f.starvedWorkers > 0 ? `${f.starvedWorkers} of ${shape.workers}` : '0',
          String(f.failures),
          String(f.overlaps),
        ]),
        notes: !last
          ? []
          : semaphore
            ? [
                `CS = critical section: holding one of the ${permits} permits; hold = mean time a holder kept its permit (at least ${c.holdMs} ms); gap = from the latest release before a grant to that grant; CS/s ≈ ${permits} × 1000 / (hold + gap mean) while every permit is busy; wait = from asking to getting a permit (a wait still unanswered when the window ends counts until then)`,
                'cmds = commands the clients of every process sent per CS (Lua-internal calls excluded); min/max = fairness, median over rounds of fewest / most CS of any worker; even split = the best min/max the same number of CS could show; fewest/most = the counts in the least fair round',
                `starved = workers with no CS at all in a round (the most of any round); failures = acquires the library gave up on; over limit = CS that began while ${permits} others were still running (must be 0)`,
              ]
            : [
                'CS = critical section; hold = mean time a holder kept the lock (at least 1 ms); gap = from a release being sent to the next grant anywhere; CS/s ≈ 1000 / (hold + gap mean); wait = from asking to getting the lock (a wait still unanswered when the window ends counts until then)',
                'cmds = commands the clients of every process sent per CS (Lua-internal calls excluded); min/max = fairness, median over rounds of fewest / most CS of any worker; even split = the best min/max the same number of CS could show, shared as evenly as possible; fewest/most = the counts in the least fair round',
                'starved = workers with no CS at all in a round (the most of any round); failures = acquires the library gave up on; overlaps = CS that began before the previous one ended (must be 0)',
              ],
      });
    });
  };

  if (results.contention) {
    const c = p.contention;
    contentionTables(
      results.contention,
      c,
      (n, label, windowMs) =>
        `3${String.fromCharCode(97 + n)}. Contended, ${label}: ${c.processes} processes, one key, hold ${c.holdMs} ms (${c.rounds} rounds × ${windowMs} ms)`,
      1,
    );
  }
  if (results.semaphoreContention && p.semaphoreContention) {
    const c = p.semaphoreContention;
    const permits = SEMAPHORE_PERMITS;
    contentionTables(
      results.semaphoreContention,
      c,
      (n, label, windowMs) =>
        `8${String.fromCharCode(97 + n)}. Contended semaphore, ${permits} permits, ${label}: ${c.processes} processes, hold ${c.holdMs} ms (${c.rounds} rounds × ${windowMs} ms; no target)`,
      permits,
    );
  }

  const d = results.decoratorOverhead;
  if (d) {
    tables.push({
      title: '4. Decorator overhead: @DistributedLock vs the same body with manual acquire/release',
      headers: ['status', 'decorated ops/s', 'manual ops/s', 'overhead'],
      rows: [
        d.status === 'measured'
          ? [
              'measured',
              thousands(d.decoratedOpsPerSec),
              thousands(d.manualOpsPerSec),
              `${(d.overhead * 100).toFixed(1)}%`,
            ]
          : ['not run', '-', '-', '-'],
      ],
      notes: d.status === 'not run' ? [d.reason] : [],
    });
  }

  if (results.heldLocks) {
    const h = p.heldLocks;
    tables.push({
      title: `5. Many held locks: ${thousands(h.locks)} locks, ttl ${h.ttlMs} ms, auto-renewed for ${h.holdMs / 1000} s, one process per library`,
      headers: [
        'library',
        'renewal cmds/s',
        'timers',
        'loop delay p99 ms',
        'max ms',
        'RSS/lock B',
        'heap/lock B',
        'still held',
      ],
      rows: results.heldLocks.map((f) =>
        'failure' in f
          ? [f.library, 'gave up', '-', '-', '-', '-', '-', '-']
          : [
              f.library,
              fixed(f.renewalCommandsPerSec, 1),
              thousands(f.timersWhileHeld),
              fixed(f.eventLoopDelayP99Ms, 1),
              fixed(f.eventLoopDelayMaxMs, 1),
              thousands(f.rssPerLockBytes),
              thousands(f.heapPerLockBytes),
              `${thousands(f.stillHeld)}/${thousands(f.locks)}`,
            ],
      ),
      notes: results.heldLocks.flatMap((f) =>
        'failure' in f ? [`${f.library} gave up (not counted as a broken run): ${f.failure}`] : [],
      ),
    });
  }

  if (results.roundTrips) {
    tables.push({
      title: '6. Round trips: commands sent per uncontended acquire + release (MONITOR)',
      headers: ['contender', 'warm', 'after SCRIPT FLUSH', 'warm commands', 'after flush commands'],
      align: ['left', 'right', 'right', 'left', 'left'],
      rows: results.roundTrips.map((f) => [
        f.id,
        String(f.warm),
        String(f.afterScriptFlush),
        commandList(f.warmCommands),
        commandList(f.afterScriptFlushCommands),
      ]),
    });
  }

  if (results.deadWaiter) {
    const ttl = p.deadWaiter.waiterTtlMs;
    tables.push({
      title: `7. Dead waiter: a waiter SIGKILLed while queued, right before the release (${p.deadWaiter.trials} trials; waiterTtl ${ttl === undefined ? "the engine's default" : `${ttl} ms`})`,
      headers: [
        'contender',
        'grant ttl ms',
        'stall median ms',
        'stall max ms',
        'max / grant ttl',
        'handoff without it ms',
        'keys while waiting',
      ],
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
      rows: results.deadWaiter.map((f) =>
        f.measured
          ? [
              f.id,
              String(f.grantTtlMs),
              fixed(f.stallMedianMs, 1),
              fixed(f.stallMaxMs, 1),
              fixed(f.stallMaxMs / f.grantTtlMs, 3),
              fixed(f.handoffMedianMs, 2),
              f.keysWhileWaiting.join(' '),
            ]
          : [f.id, '-', '-', '-', '-', '-', `not measured: ${f.reason}`],
      ),
      notes: [
        "stall = from the holder sending its release to the next live waiter (another process) getting the lock, past the dead one; grant ttl = how long a lock handed to a waiter lasts until the waiter confirms it (the engine's waiterTtl)",
        'handoff without it = the same handoff in the same trial with no dead waiter queued in between',
      ],
    });
  }

  const adapters = clientAdapterTable(results);
  if (adapters) tables.push(adapters);

  if (results.targets) tables.push(...targetTables(results.targets));
  return tables;
}

/** The contenders whose verdicts are shown side by side; ours/default's are the ones that count. */
const JUDGED = ['ours/default', 'ours/fair', 'ours/barging'] as const;

function verdictCell(outcome: TargetOutcome | undefined): string {
  if (!outcome) return '';
  if (outcome.status === 'not run') return 'not run';
  return `${outcome.status === 'missed' ? 'MISSED' : 'met'}: ${outcome.measured}`;
}

/**
 * The verdicts: one row per target (per shape, for scenario 3) with a column per variant of
 * ours, then the targets on the library as a whole.
 */
function targetTables(targets: readonly TargetOutcome[]): Table[] {
  const rows = new Map<
    string,
    { scenario: number; target: string; cells: Map<string, TargetOutcome> }
  >();
  for (const t of targets.filter((o) => o.contender !== undefined)) {
    const target = t.shape ? `${t.shape}: ${t.target}` : t.target;
    const key = `${t.scenario}|${target}`;
    const row = rows.get(key) ?? { scenario: t.scenario, target, cells: new Map() };
    row.cells.set(t.contender!, t);
    rows.set(key, row);
  }
  const tables: Table[] = [
    {
      title:
        'Targets (from the issue; judged for ours/default, shown for ours/fair and ours/barging; a missed target is reported, never tuned away)',
      headers: ['scenario', 'target', ...JUDGED],
      align: ['right', 'left', ...JUDGED.map(() => 'left' as const)],
      rows: [...rows.values()].map((row) => [
        String(row.scenario),
        row.target,
        ...JUDGED.map((id) => verdictCell(row.cells.get(id))),
      ]),
    },
  ];
  const library = targets.filter((o) => o.contender === undefined);
  if (library.length > 0) {
    tables.push({
      title: 'Targets on the library as a whole',
      headers: ['scenario', 'target', 'status', 'measured'],
      align: ['right', 'left', 'left', 'left'],
      rows: library.map((t) => [
        String(t.scenario),
        t.target,
        t.status === 'missed' ? 'MISSED' : t.status,
        t.measured,
      ]),
    });
  }
  return tables;
}
