import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ContenderSpec } from '../../libraries/contender.js';
import { addCounts, totalCommands, type CommandCounts } from '../../support/command-counter.js';
import { floorId, interleave, medianRatioToFloor } from '../../support/interleave.js';
import { median, round } from '../../support/stats.js';
import { monotonicMs } from '../../support/time.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import { analyzeSections, type WindowFigures } from './analysis.js';
import type { FromWorker, RunMessage, RunResult, Section } from './protocol.js';

export interface ContentionParams {
  readonly rounds: number;
  readonly processes: number;
  readonly workersPerProcess: number;
  readonly holdMs: number;
  readonly pauseMs: number;
  /** Excluded from the figures: subscriptions and connections settle. */
  readonly warmupMs: number;
  readonly windowMs: number;
}

export interface ContentionFigures {
  readonly id: string;
  /** Medians over rounds of the per-round figures. */
  readonly criticalSectionsPerSec: number;
  readonly criticalSectionsPerSecByRound: readonly number[];
  /** Median over rounds of this contender's critical sections/s over the spin floor's. */
  readonly ratioToSpinFloor: number;
  readonly holdMeanMs: number;
  readonly handoffGapMeanMs: number;
  readonly handoffGapP50Ms: number;
  readonly handoffGapP99Ms: number;
  readonly waitP50Ms: number;
  readonly waitP99Ms: number;
  readonly commandsPerCriticalSection: number;
  /** Every round's commands by name, per critical section. */
  readonly commandsPerCriticalSectionByName: Readonly<Record<string, number>>;
  readonly fairness: number;
  readonly perWorkerMinMaxByRound: ReadonlyArray<readonly [number, number]>;
  readonly failures: number;
  readonly overlaps: number;
  readonly errors: readonly string[];
}

interface RoundSample {
  readonly figures: WindowFigures;
  readonly failures: number;
  readonly commands: CommandCounts;
  readonly errors: string[];
}

/** A library that never returns is broken: give up on a run this long after its window. */
const DRAIN_LIMIT_MS = 45_000;

class WorkerPool {
  private constructor(private readonly children: ChildProcess[]) {}

  static async start(port: number, count: number): Promise<WorkerPool> {
    const script = join(__dirname, 'worker.js');
    const children = Array.from({ length: count }, () =>
      fork(script, [String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const pool = new WorkerPool(children);
    await Promise.all(children.map((child) => pool.next(child, 'ready', 15_000)));
    return pool;
  }

  async run(message: RunMessage, limitMs: number): Promise<RunResult[]> {
    for (const child of this.children) child.send(message);
    return Promise.all(
      this.children.map((child) => this.next(child, 'result', limitMs) as Promise<RunResult>),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) child.send({ type: 'stop' });
            else child.kill('SIGKILL');
          }),
      ),
    );
  }

  private next(
    child: ChildProcess,
    type: FromWorker['type'],
    limitMs: number,
  ): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (message: FromWorker): void => {
        if (message.type !== type) return;
        cleanup();
        resolve(message);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`contention worker exited (code ${code}) while waiting for "${type}"`));
      };
      const timer = setTimeout(() => {
        cleanup();
        child.kill('SIGKILL');
        reject(
          new Error(`contention worker sent no "${type}" within ${limitMs} ms: a library hangs`),
        );
      }, limitMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }
}

/**
 * Scenario 3: workers in several processes, each process with one connection, compete for ONE
 * key. Each holds the lock about `holdMs`, then steps back `pauseMs`, so that handoffs go to
 * other workers. Measures how fast and at what command cost the lock changes hands.
 */
export async function runContention(
  server: RedisServer,
  specs: readonly ContenderSpec[],
  params: ContentionParams,
): Promise<ContentionFigures[]> {
  const pool = await WorkerPool.start(server.port, params.processes);
  const workerCount = params.processes * params.workersPerProcess;
  try {
    const participants = specs.map((spec) => ({ spec }));
    const samples = await interleave(participants, params.rounds, async ({ spec }, r) => {
      // Time for the message to reach every process before the start.
      const startAt = monotonicMs() + 150;
      const measureFrom = startAt + params.warmupMs;
      const measureUntil = measureFrom + params.windowMs;
      const results = await pool.run(
        {
          type: 'run',
          contenderId: spec.id,
          key: `s3:${spec.id}:${r}`,
          workers: params.workersPerProcess,
          startAt,
          measureFrom,
          measureUntil,
          holdMs: params.holdMs,
          pauseMs: params.pauseMs,
        },
        measureUntil - monotonicMs() + DRAIN_LIMIT_MS,
      );
      const sections: Section[] = results.flatMap((result, p) =>
        result.sections.map(
          ([asked, acquired, released, worker]) =>
            [asked, acquired, released, p * params.workersPerProcess + worker] as Section,
        ),
      );
      const commands: CommandCounts = {};
      for (const result of results) addCounts(commands, result.commands);
      return {
        figures: analyzeSections(sections, workerCount, measureFrom, measureUntil, commands),
        failures: results.reduce((n, result) => n + result.failures, 0),
        commands,
        errors: results.flatMap((result) => result.errors),
      } satisfies RoundSample;
    });
    const floorRates = samples.get(floorId(specs))!.map((s) => s.figures.criticalSectionsPerSec);
    return specs.map((spec) => summarize(spec.id, samples.get(spec.id)!, floorRates));
  } finally {
    await pool.stop();
  }
}

function summarize(
  id: string,
  rounds: readonly RoundSample[],
  floorRates: readonly number[],
): ContentionFigures {
  const pick = (f: (w: WindowFigures) => number): number => median(rounds.map((s) => f(s.figures)));
  const rates = rounds.map((s) => s.figures.criticalSectionsPerSec);
  const totalSections = rounds.reduce((n, s) => n + s.figures.criticalSections, 0);
  const allCommands: CommandCounts = {};
  for (const s of rounds) addCounts(allCommands, s.commands);
  const byName: Record<string, number> = {};
  for (const [name, count] of Object.entries(allCommands).sort((a, b) => b[1] - a[1])) {
    byName[name] = round(count / Math.max(1, totalSections), 2);
  }
  return {
    id,
    criticalSectionsPerSec: round(median(rates), 1),
    criticalSectionsPerSecByRound: rates,
    ratioToSpinFloor: round(medianRatioToFloor(rates, floorRates, median)),
    holdMeanMs: round(pick((w) => w.holdMeanMs)),
    handoffGapMeanMs: round(pick((w) => w.handoffGapMeanMs)),
    handoffGapP50Ms: round(pick((w) => w.handoffGapP50Ms)),
    handoffGapP99Ms: round(pick((w) => w.handoffGapP99Ms)),
    waitP50Ms: round(
      pick((w) => w.waitP50Ms),
      2,
    ),
    waitP99Ms: round(
      pick((w) => w.waitP99Ms),
      2,
    ),
    commandsPerCriticalSection: round(totalCommands(allCommands) / Math.max(1, totalSections), 2),
    commandsPerCriticalSectionByName: byName,
    fairness: round(pick((w) => w.fairness)),
    perWorkerMinMaxByRound: rounds.map((s) => [s.figures.perWorkerMin, s.figures.perWorkerMax]),
    failures: rounds.reduce((n, s) => n + s.failures, 0),
    overlaps: rounds.reduce((n, s) => n + s.figures.overlaps, 0),
    errors: rounds.flatMap((s) => s.errors),
  };
}
