import type { BenchResults, TargetOutcome } from './results.js';

const OURS = ['ours/default', 'ours/tuned'] as const;
/** The fair lock is judged on contention only: fairness is what it is for. */
const OURS_CONTENDED = [...OURS, 'ours/fair'] as const;
const COMPETITORS = [
  'redlock/default',
  'redlock/tuned',
  'redis-semaphore/default',
  'redis-semaphore/tuned',
];

function verdict(ok: boolean): 'met' | 'missed' {
  return ok ? 'met' : 'missed';
}

/**
 * The targets, judged on this run's figures. A missed target is a finding, reported with
 * its figure; it never fails the run.
 */
export function evaluateTargets(results: BenchResults): TargetOutcome[] {
  const outcomes: TargetOutcome[] = [];
  const add = (
    scenario: number,
    target: string,
    ok: boolean | undefined,
    measured: string,
  ): void => {
    outcomes.push({
      scenario,
      target,
      status: ok === undefined ? 'not run' : verdict(ok),
      measured,
    });
  };

  for (const id of OURS) {
    const s1 = results.uncontended?.find((f) => f.id === id);
    add(
      1,
      `${id}: uncontended ops/s ≥ 0.97 × floor`,
      s1 && s1.ratioToFloor >= 0.97,
      s1 ? `${s1.ratioToFloor} × floor` : 'not run',
    );
  }
  const rt = results.roundTrips?.find((f) => f.id === 'ours/default');
  add(
    1,
    'ours: 2 round trips per acquire + release, warm',
    rt && rt.warm === 2,
    rt ? `${rt.warm} commands (${JSON.stringify(rt.warmCommands)})` : 'not run',
  );

  const contention = results.contention;
  for (const id of OURS_CONTENDED) {
    const f = contention?.find((c) => c.id === id);
    add(
      3,
      `${id}: ≥ 0.95 × spin floor's critical sections/s`,
      f && f.ratioToSpinFloor >= 0.95,
      f ? `${f.ratioToSpinFloor} × spin floor (${f.criticalSectionsPerSec}/s)` : 'not run',
    );
    add(
      3,
      `${id}: ≤ 5 commands per critical section`,
      f && f.commandsPerCriticalSection <= 5,
      f ? `${f.commandsPerCriticalSection} commands` : 'not run',
    );
    add(
      3,
      `${id}: fairness min/max ≥ 0.7`,
      f && f.fairness >= 0.7,
      f ? `${f.fairness}` : 'not run',
    );
    add(
      3,
      `${id}: 0 acquire failures`,
      f && f.failures === 0,
      f ? `${f.failures} failures` : 'not run',
    );
    const rivals = contention?.filter((c) => COMPETITORS.includes(c.id)) ?? [];
    const best = rivals.reduce<(typeof rivals)[number] | undefined>(
      (top, c) => (!top || c.criticalSectionsPerSec > top.criticalSectionsPerSec ? c : top),
      undefined,
    );
    add(
      3,
      `${id}: ahead of redlock and redis-semaphore (defaults and tuned)`,
      f && best && f.criticalSectionsPerSec > best.criticalSectionsPerSec,
      f && best
        ? `${f.criticalSectionsPerSec}/s vs best rival ${best.id} ${best.criticalSectionsPerSec}/s`
        : 'not run',
    );
  }

  const decorator = results.decoratorOverhead;
  add(
    4,
    '@DistributedLock overhead ≤ 5% over manual acquire/release',
    decorator?.status === 'measured' ? decorator.overhead <= 0.05 : undefined,
    decorator?.status === 'measured'
      ? `${(decorator.overhead * 100).toFixed(1)}%`
      : (decorator?.reason ?? 'not run'),
  );

  const held = results.heldLocks?.find((f) => f.library === 'ours');
  const ttlS = results.parameters.heldLocks.ttlMs / 1000;
  if (held) {
    // A per-lock scheme sends one command per lock per renewal period (ttl/3 here).
    const perLockPerPeriod = (held.renewalCommandsPerSec * (ttlS / 3)) / held.locks;
    add(
      5,
      'ours: renewals batched (not one timer or one round trip per lock per tick)',
      perLockPerPeriod < 0.05 && held.timersWhileHeld < 10,
      `${held.renewalCommandsPerSec} commands/s for ${held.locks} locks = ${perLockPerPeriod.toFixed(4)} per lock per renewal period; ${held.timersWhileHeld} active timers`,
    );
    add(
      5,
      'ours: event-loop delay p99 < 20 ms while holding',
      held.eventLoopDelayP99Ms < 20,
      `${held.eventLoopDelayP99Ms} ms`,
    );
    add(
      5,
      'ours: every lock kept alive by renewal',
      held.lost === 0 && held.stillHeld === held.locks,
      `${held.stillHeld}/${held.locks} still held, ${held.lost} lost`,
    );
  } else {
    add(5, 'ours: renewals batched, event-loop delay p99 < 20 ms', undefined, 'not run');
  }
  return outcomes;
}
