import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { RedisServer } from '../../../test/support/redis-server.js';
import { totalCommands } from '../../support/command-counter.js';
import { round } from '../../support/stats.js';
import { HOLDER_SETTINGS, type HolderLibrary } from './holders.js';
import type { HeldLocksReport } from './protocol.js';

export interface HeldLocksParams {
  readonly locks: number;
  readonly ttlMs: number;
  readonly holdMs: number;
}

export interface HeldLocksFigures extends HeldLocksReport {
  readonly library: HolderLibrary;
  readonly settings: string;
  readonly renewalCommandsPerSec: number;
  /** Renewal commands per lock per minute: a per-lock scheme sends 60 / its period in s. */
  readonly renewalCommandsPerLockPerMin: number;
}

/**
 * A rival library whose process ended without a report (it gave up taking its locks: redlock
 * does on a loaded machine, 'unable to achieve a quorum during its retry window'). What it did
 * is a figure about that library, not a broken run; ours failing still fails the scenario.
 */
export interface HeldLocksFailure {
  readonly library: HolderLibrary;
  readonly settings: string;
  readonly failure: string;
}

const LIBRARIES: readonly HolderLibrary[] = ['ours', 'redlock', 'redis-semaphore'];

function runProcess(
  server: RedisServer,
  library: HolderLibrary,
  params: HeldLocksParams,
): Promise<HeldLocksReport> {
  const script = join(__dirname, 'worker.js');
  const args = [
    String(server.port),
    library,
    String(params.locks),
    String(params.ttlMs),
    String(params.holdMs),
  ];
  const child = fork(script, args, {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  // Passed through as before, and kept: the first line of what the worker printed is why it
  // ended without a report.
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    if (stderr.length < 4_096) stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let report: HeldLocksReport | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), params.holdMs + 120_000);
    child.once('message', (message: HeldLocksReport) => (report = message));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (report) return resolve(report);
      const why = firstErrorLine(stderr);
      reject(
        new Error(
          `held-locks worker for ${library} ended (code ${code}, signal ${signal}) without a report${why ? `: ${why}` : ''}`,
        ),
      );
    });
  });
}

/**
 * The line of a worker's output that says what failed: Node prints an uncaught error as the
 * source line that threw, then `Name: message`, then the stack. Exported for its test.
 */
export function firstErrorLine(output: string): string | undefined {
  const lines = output.split('\n').map((line) => line.trim());
  return (
    lines.find((line) => /^[\w$.]*(Error|Exception)\b[^:]*: /.test(line)) ?? lines.find(Boolean)
  );
}

/**
 * Scenario 5: many locks held with automatic renewal in one process, one library at a time (each
 * alone in its own process: memory, timers and event-loop delay are its own; running them at
 * once would make them share the two cores).
 */
export async function runHeldLocks(
  server: RedisServer,
  params: HeldLocksParams,
): Promise<(HeldLocksFigures | HeldLocksFailure)[]> {
  const figures: (HeldLocksFigures | HeldLocksFailure)[] = [];
  for (const library of LIBRARIES) {
    let report: HeldLocksReport;
    try {
      report = await runProcess(server, library, params);
    } catch (error) {
      if (library === 'ours') throw error;
      const failure = error instanceof Error ? error.message : String(error);
      figures.push({ library, settings: HOLDER_SETTINGS[library], failure });
      continue;
    }
    const perSec = totalCommands(report.commandsWhileHeld) / (report.holdMs / 1000);
    figures.push({
      library,
      settings: HOLDER_SETTINGS[library],
      ...report,
      renewalCommandsPerSec: round(perSec, 1),
      renewalCommandsPerLockPerMin: round((perSec * 60) / report.locks, 3),
    });
  }
  return figures;
}
