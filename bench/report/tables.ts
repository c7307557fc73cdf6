import { fixed, thousands, type Table } from './format.js';
import type { BenchResults } from './results.js';

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
        'CPU µs = CPU time per acquire + release, of the benchmark process (library, ioredis, socket writes) and of redis-server',
      ],
    });
  }

  if (results.parallel) {
    tables.push({
      title: `2. Parallel: ${p.parallel.loops} loops, own key each, one connection (${p.parallel.rounds} rounds × ${p.parallel.windowMs} ms)`,
      headers: ['contender', 'ops/s', '× floor'],
      rows: results.parallel.map((f) => [f.id, thousands(f.opsPerSec), fixed(f.ratioToFloor, 3)]),
    });
  }

  if (results.contention) {
    const c = p.contention;
    tables.push({
      title: `3. Contended: ${c.processes * c.workersPerProcess} workers in ${c.processes} processes on one key, hold ${c.holdMs} ms, pause ${c.pauseMs} ms (${c.rounds} rounds × ${c.windowMs} ms)`,
      headers: [
        'contender',
        'CS/s',
        '× spin floor',
        'hold ms',
        'gap mean ms',
        'gap p50 ms',
        'gap p99 ms',
        'wait p99 ms',
        'cmds/CS',
        'min/max',
        'failures',
        'overlaps',
      ],
      rows: results.contention.map((f) => [
        f.id,
        fixed(f.criticalSectionsPerSec, 0),
        fixed(f.ratioToSpinFloor, 3),
        fixed(f.holdMeanMs, 3),
        fixed(f.handoffGapMeanMs, 3),
        fixed(f.handoffGapP50Ms, 3),
        fixed(f.handoffGapP99Ms, 3),
        fixed(f.waitP99Ms, 1),
        fixed(f.commandsPerCriticalSection, 2),
        fixed(f.fairness, 2),
        String(f.failures),
        String(f.overlaps),
      ]),
      notes: [
        'CS = critical section; hold = mean time a holder kept the lock (at least 1 ms); gap = from a release being sent to the next grant anywhere; CS/s ≈ 1000 / (hold + gap mean)',
        'cmds = commands the clients sent per CS (Lua-internal calls excluded); min/max = fairness: fewest / most CS of any worker; wait = from asking to getting the lock',
      ],
    });
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
      rows: results.heldLocks.map((f) => [
        f.library,
        fixed(f.renewalCommandsPerSec, 1),
        thousands(f.timersWhileHeld),
        fixed(f.eventLoopDelayP99Ms, 1),
        fixed(f.eventLoopDelayMaxMs, 1),
        thousands(f.rssPerLockBytes),
        thousands(f.heapPerLockBytes),
        `${thousands(f.stillHeld)}/${thousands(f.locks)}`,
      ]),
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

  if (results.targets) {
    tables.push({
      title: 'Targets (from the issue; a missed target is reported, never tuned away)',
      headers: ['scenario', 'target', 'status', 'measured'],
      align: ['right', 'left', 'left', 'left'],
      rows: results.targets.map((t) => [
        String(t.scenario),
        t.target,
        t.status === 'missed' ? 'MISSED' : t.status,
        t.measured,
      ]),
    });
  }
  return tables;
}
