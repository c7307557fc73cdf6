import {
  replayCommand,
  type RoundReport,
  runRound,
  type Scenario,
  SCENARIOS,
} from './chaos-round.js';
import { FAULT_KINDS } from './fault-injector.js';
import { machineNow } from './history.js';
import type { CoreLibrary } from './lease-actors.js';
import { hashSeed } from './random.js';

/** Seconds of faults per round, by scenario (a 2.5 s quiet cool-down follows each). */
export const ROUND_SECONDS: Record<Scenario, number> = {
  memory: 8,
  redis: 16,
  processes: 16,
  quorum: 16,
};

export interface CampaignOptions {
  readonly lib: CoreLibrary;
  /** Rounds start while less than this has passed. */
  readonly budgetSeconds: number;
  /** Every round's seed derives from this one. */
  readonly seed: number;
  readonly scenarios?: readonly Scenario[];
  readonly roundSeconds?: Partial<Record<Scenario, number>>;
  /** Called after each round, for progress output. */
  readonly onRound?: (report: RoundReport, index: number) => void;
}

export interface CampaignReport {
  readonly seed: number;
  readonly elapsedSeconds: number;
  readonly rounds: readonly RoundReport[];
}

/** Rounds of each scenario in turn, each with its own seed, until the budget is spent. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const scenarios = options.scenarios ?? SCENARIOS;
  const started = machineNow();
  const rounds: RoundReport[] = [];
  for (let index = 0; rounds.length === 0 || elapsed(started) < options.budgetSeconds; index++) {
    const scenario = scenarios[index % scenarios.length]!;
    const seconds = options.roundSeconds?.[scenario] ?? ROUND_SECONDS[scenario];
    const report = await runRound({
      scenario,
      seed: hashSeed(options.seed, `round-${index}`),
      seconds,
      lib: options.lib,
    });
    rounds.push(report);
    options.onRound?.(report, index);
  }
  return { seed: options.seed, elapsedSeconds: elapsed(started), rounds };
}

function elapsed(since: number): number {
  return (machineNow() - since) / 1_000;
}

function sum(records: ReadonlyArray<Record<string, number | undefined>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const record of records) {
    for (const [name, count] of Object.entries(record))
      total[name] = (total[name] ?? 0) + (count ?? 0);
  }
  return total;
}

function table(counts: Record<string, number>, indent = '  '): string {
  const names = Object.keys(counts).sort();
  const width = Math.max(0, ...names.map((name) => name.length));
  return names.map((name) => `${indent}${name.padEnd(width)}  ${counts[name]}`).join('\n');
}

/** One line per round, for progress. */
export function formatRound(report: RoundReport, index?: number): string {
  const faults = Object.entries(report.faults)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  return (
    `${index === undefined ? '' : `round ${index + 1}: `}${report.scenario} seed ${report.seed}: ` +
    `${report.criticalSections} critical sections, ${report.permitSections} with permits, ` +
    `${report.leases} leases; faults: ${faults || 'none'}; ` +
    `${report.violations.length} violation(s)`
  );
}

/** Every violation of the rounds, each with the line that replays its round. */
export function formatViolations(rounds: readonly RoundReport[]): string {
  const lines: string[] = [];
  for (const round of rounds) {
    if (round.violations.length === 0) continue;
    lines.push(
      `${round.scenario} round, seed ${round.seed}: ${round.violations.length} violation(s). Replay: ` +
        replayCommand(round.scenario, round.seed, round.seconds),
    );
    const byKind = new Map<string, number>();
    for (const violation of round.violations) {
      const seen = byKind.get(violation.kind) ?? 0;
      byKind.set(violation.kind, seen + 1);
      // The first few of each kind tell the story; the count tells the rest.
      if (seen < 5) lines.push(`  [${violation.kind}] ${violation.message}`);
    }
    for (const [kind, count] of byKind) {
      if (count > 5) lines.push(`  ... and ${count - 5} more [${kind}]`);
    }
  }
  return lines.join('\n');
}

/** The closing report of a campaign. */
export function formatCampaign(report: CampaignReport): string {
  const { rounds } = report;
  const faults = sum(rounds.map((round) => round.faults));
  for (const kind of FAULT_KINDS) faults[kind] ??= 0;
  const violations = rounds.reduce((total, round) => total + round.violations.length, 0);
  const byScenario = sum(rounds.map((round) => ({ [round.scenario]: round.criticalSections })));
  const permitsByScenario = sum(
    rounds
      .filter((round) => round.scenario !== 'quorum')
      .map((round) => ({ [round.scenario]: round.permitSections })),
  );
  return [
    `Chaos run: ${(report.elapsedSeconds / 60).toFixed(1)} min, ${rounds.length} rounds, seed ${report.seed}`,
    `Critical sections completed: ${rounds.reduce((total, round) => total + round.criticalSections, 0)}`,
    table(byScenario),
    `Holds of semaphore permits completed: ${rounds.reduce((total, round) => total + round.permitSections, 0)}`,
    table(permitsByScenario),
    `Leases handed out: ${rounds.reduce((total, round) => total + round.leases, 0)}`,
    'Faults injected, by kind:',
    table(faults),
    'Operations, by kind:',
    table(sum(rounds.map((round) => round.operations))),
    'Outcomes, by operation:',
    table(sum(rounds.map((round) => round.outcomes))),
    `Violations: ${violations}`,
    ...(violations > 0 ? [formatViolations(rounds)] : []),
  ].join('\n');
}
