import { type ChildProcess, fork } from 'node:child_process';
import { nextMessage, stopChild } from '../../support/child-process.js';
import { join } from 'node:path';
import type { ContenderSpec } from '../../libraries/contender.js';
import { addCounts, totalCommands, type CommandCounts } from '../../support/command-counter.js';
import { floorId, medianRatioToFloor } from '../../support/interleave.js';
import { rotation } from '../../support/rounds.js';
import { median, round } from '../../support/stats.js';
import { monotonicMs } from '../../support/time.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import { analyzeSections, type WindowFigures } from './analysis.js';
import type { ContentionShape, FromWorker, RunMessage, RunResult, Section } from './protocol.js';

export interface ContentionParams {
  readonly rounds: number;
  /** Worker processes; every shape spreads its workers evenly over them. */
  readonly processes: number;
  readonly holdMs: number;
  /** Excluded from the figures: subscriptions and connections settle. */
  readonly warmupMs: number;
  /** The measured window: `windowMs`, or `windowMsPerWorker` per worker if that is longer. */
  readonly windowMs: number;
  /**
   * So that every worker can get enough critical sections in the window for min/max to mean
   * something: with N sections among n workers an even lock shows ⌊N/n⌋ / ⌈N/n⌉ at best.
   */
  readonly windowMsPerWorker: number;
  /** The shapes to run, each with every contender, interleaved in one run. */
  readonly shapes: readonly ContentionShape[];
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
  /** The EVALSHA among them by script (defineCommand name where known), per critical section. */
  readonly scriptsPerCriticalSection: Readonly<Record<string, number>>;
  /** Median over rounds of (fewest / most critical sections of any worker). */
  readonly fairness: number;
  /** Median over rounds of the fairness a perfectly even split of the same sections would show. */
  readonly evenSplitFairness: number;
  readonly perWorkerMinMaxByRound: ReadonlyArray<readonly [number, number]>;
  /** Fewest and most critical sections per worker in the least fair round. */
  readonly worstRoundMinMax: readonly [number, number];
  /** Workers with no critical section in the window: the most of any round, and per round. */
  readonly starvedWorkers: number;
  readonly starvedWorkersByRound: readonly number[];
  readonly failures: number;
  readonly overlaps: number;
  readonly errors: readonly string[];
}

/** One shape's figures: every contender, in the registry's order. */
export interface ContentionShapeFigures {
  readonly shape: ContentionShape;
  /** The measured window of each run of this shape. */
  readonly windowMs: number;
  /** For tables and verdicts, e.g. "16 workers, manager per worker, pause 0 ms". */
  readonly label: string;
  readonly contenders: ContentionFigures[];
}

/** A short description of a shape, the same in tables, verdicts and the JSON. */
export function shapeLabel(shape: ContentionShape): string {
  const managers = shape.managers === 'worker' ? 'manager per worker' : 'manager per process';
  return `${shape.workers} workers, ${managers}, pause ${shape.pauseMs} ms`;
}

interface RoundSample {
  readonly figures: WindowFigures;
  readonly failures: number;
  readonly commands: CommandCounts;
  readonly scripts: CommandCounts;
  readonly errors: string[];
}

/** A library that never returns is broken: give up on a run this long after its window. */
const DRAIN_LIMIT_MS = 45_000;

class WorkerPool {
  private constructor(private readonly children: ChildProcess[]) {}

  static async start(port: number, count: number, connections: number): Promise<WorkerPool> {
    const script = join(__dirname, 'worker.js');
    const children = Array.from({ length: count }, () =>
      fork(script, [String(port), String(connections)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
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
    await Promise.all(this.children.map((child) => stopChild(child, 5_000)));
  }

  private next(
    child: ChildProcess,
    type: FromWorker['type'],
    limitMs: number,
  ): Promise<FromWorker> {
    return nextMessage<FromWorker>(child, type, limitMs, 'contention worker');
  }
}

export function windowFor(shape: ContentionShape, params: ContentionParams): number {
  return Math.max(params.windowMs, shape.workers * params.windowMsPerWorker);
}

/** Connections each worker process opens: enough for the largest shape with a manager per worker. */
function connectionsPerProcess(params: ContentionParams): number {
  return Math.max(
    1,
    ...params.shapes.map((shape) =>
      shape.managers === 'worker' ? shape.workers / params.processes : 1,
    ),
  );
}

/**
 * Scenarios 3 and 8: workers in several processes compete for ONE key (a lock, or a semaphore's
 * permits), in every shape of `params`: one
 * lock manager per process or one per worker, a pause after each release or none, few workers or
 * many. Each worker holds the lock about `holdMs` and competes again. Measures how fast, at what
 * command cost and how fairly the lock changes hands.
 *
 * Every round runs every shape, and within a shape every contender, each in an order rotated by
 * one place per round; ratios to the spin floor are taken within a shape and a round.
 */
export async function runContention(
  server: RedisServer,
  specs: readonly ContenderSpec[],
  params: ContentionParams,
  /** Starts the name of every key the runs use: the scenario's number. */
  keyTag = 's3',
): Promise<ContentionShapeFigures[]> {
  for (const shape of params.shapes) {
    if (!Number.isInteger(shape.workers / params.processes) || shape.workers < params.processes) {
      throw new Error(
        `${shapeLabel(shape)}: ${shape.workers} workers cannot be spread evenly over ${params.processes} processes`,
      );
    }
  }
  const pool = await WorkerPool.start(server.port, params.processes, connectionsPerProcess(params));
  const shapes = params.shapes.map((shape, index) => ({ shape, index }));
  try {
    const samples = new Map<string, RoundSample[]>();
    for (let r = 0; r < params.rounds; r++) {
      for (const { shape, index } of rotation(shapes, r)) {
        for (const spec of rotation(specs, r)) {
          const sample = await runOnce(
            pool,
            spec,
            shape,
            params,
            `${keyTag}:${index}:${spec.id}:${r}`,
          );
          const key = `${index}|${spec.id}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
    }
    const floor = floorId(specs);
    return shapes.map(({ shape, index }) => {
      const floorRates = samples
        .get(`${index}|${floor}`)!
        .map((s) => s.figures.criticalSectionsPerSec);
      return {
        shape,
        windowMs: windowFor(shape, params),
        label: shapeLabel(shape),
        contenders: specs.map((spec) =>
          summarize(spec.id, samples.get(`${index}|${spec.id}`)!, floorRates),
        ),
      };
    });
  } finally {
    await pool.stop();
  }
}

async function runOnce(
  pool: WorkerPool,
  spec: ContenderSpec,
  shape: ContentionShape,
  params: ContentionParams,
  key: string,
): Promise<RoundSample> {
  const perProcess = shape.workers / params.processes;
  // Time for the message to reach every process before the start.
  const startAt = monotonicMs() + 150;
  const measureFrom = startAt + params.warmupMs;
  const measureUntil = measureFrom + windowFor(shape, params);
  const results = await pool.run(
    {
      type: 'run',
      contenderId: spec.id,
      key,
      workers: perProcess,
      managers: shape.managers,
      startAt,
      measureFrom,
      measureUntil,
      holdMs: params.holdMs,
      pauseMs: shape.pauseMs,
    },
    measureUntil - monotonicMs() + DRAIN_LIMIT_MS,
  );
  const sections: Section[] = results.flatMap((result, p) =>
    result.sections.map(
      ([asked, acquired, released, worker]) =>
        [asked, acquired, released, p * perProcess + worker] as Section,
    ),
  );
  const commands: CommandCounts = {};
  const scripts: CommandCounts = {};
  for (const result of results) {
    addCounts(commands, result.commands);
    addCounts(scripts, result.scripts);
  }
  return {
    scripts,
    figures: analyzeSections(
      sections,
      shape.workers,
      measureFrom,
      measureUntil,
      commands,
      results.flatMap((result) => result.unanswered),
      spec.permits,
    ),
    failures: results.reduce((n, result) => n + result.failures, 0),
    commands,
    errors: results.flatMap((result) => result.errors),
  };
}

function summarize(
  id: string,
  rounds: readonly RoundSample[],
  floorRates: readonly number[],
): ContentionFigures {
  const pick = (f: (w: WindowFigures) => number): number => median(rounds.map((s) => f(s.figures)));
  const rates = rounds.map((s) => s.figures.criticalSectionsPerSec);
  const leastFair = rounds.reduce((worst, s) =>
    s.figures.fairness < worst.figures.fairness ? s : worst,
  );
  const starved = rounds.map((s) => s.figures.starvedWorkers);
  const totalSections = rounds.reduce((n, s) => n + s.figures.criticalSections, 0);
  const allCommands: CommandCounts = {};
  for (const s of rounds) addCounts(allCommands, s.commands);
  const perSection = (counts: CommandCounts): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [name, count] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
      out[name] = round(count / Math.max(1, totalSections), 2);
    }
    return out;
  };
  const allScripts: CommandCounts = {};
  for (const s of rounds) addCounts(allScripts, s.scripts);
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
    commandsPerCriticalSectionByName: perSection(allCommands),
    scriptsPerCriticalSection: perSection(allScripts),
    fairness: round(pick((w) => w.fairness)),
    evenSplitFairness: round(pick((w) => w.evenSplitFairness)),
    perWorkerMinMaxByRound: rounds.map((s) => [s.figures.perWorkerMin, s.figures.perWorkerMax]),
    worstRoundMinMax: [leastFair.figures.perWorkerMin, leastFair.figures.perWorkerMax],
    starvedWorkers: Math.max(...starved),
    starvedWorkersByRound: starved,
    failures: rounds.reduce((n, s) => n + s.failures, 0),
    overlaps: rounds.reduce((n, s) => n + s.figures.overlaps, 0),
    errors: rounds.flatMap((s) => s.errors),
  };
}
