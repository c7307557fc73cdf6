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
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let report: HeldLocksReport | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), params.holdMs + 120_000);
    child.once('message', (message: HeldLocksReport) => (report = message));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (report) resolve(report);
      else
        reject(
          new Error(
            `held-locks worker for ${library} ended (code ${code}, signal ${signal}) without a report`,
          ),
        );
    });
  });
}

/**
 * Scenario 5: many locks held with automatic renewal in one process, one library at a time (each
 * alone in its own process: memory, timers and event-loop delay are its own; running them at
 * once would make them share the two cores).
 */
export async function runHeldLocks(
  server: RedisServer,
  params: HeldLocksParams,
): Promise<HeldLocksFigures[]> {
  const figures: HeldLocksFigures[] = [];
  for (const library of LIBRARIES) {
    const report = await runProcess(server, library, params);
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
