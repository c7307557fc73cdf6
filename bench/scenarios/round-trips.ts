import type { ContenderSpec } from '../libraries/contender.js';
import {
  commandSnapshot,
  commandsBetween,
  totalCommands,
  type CommandCounts,
} from '../support/command-counter.js';
import { countByName, monitorCommands, type RedisServer } from '../../test/support/redis-server.js';

export interface RoundTripFigures {
  readonly id: string;
  /** Commands sent for one acquire + release of a free lock on a warm connection (MONITOR). */
  readonly warm: number;
  readonly warmCommands: CommandCounts;
  /** The same right after SCRIPT FLUSH (NOSCRIPT, then the script's text once). */
  readonly afterScriptFlush: number;
  readonly afterScriptFlushCommands: CommandCounts;
  /**
   * The same two counts from the client-side counter the contention and held-locks scenarios
   * use: equal to MONITOR's, or those figures would be off.
   */
  readonly counterAgrees: boolean;
}

/**
 * Scenario 6: commands crossing the network per uncontended acquire + release, recorded with
 * MONITOR, which lists what clients send and leaves out what Lua scripts run inside Redis.
 * Runs last: SCRIPT FLUSH empties the script cache of the shared server.
 */
export async function runRoundTrips(
  server: RedisServer,
  specs: readonly ContenderSpec[],
): Promise<RoundTripFigures[]> {
  const figures: RoundTripFigures[] = [];
  for (const spec of specs) {
    const contender = spec.create(server.client());
    try {
      let n = 0;
      const once = async (): Promise<CommandCounts> => {
        const before = commandSnapshot();
        await (await contender.acquire(`s6:${spec.id}:${n++}`)).release();
        return commandsBetween(before, commandSnapshot());
      };
      // Twice: the first use of a script on a connection may send its text.
      await once();
      await once();
      let counted: CommandCounts = {};
      const warmCommands = countByName(
        await monitorCommands(server, async () => (counted = await once())),
      );
      let agrees = sameCounts(counted, warmCommands);
      await server.command('SCRIPT', 'FLUSH');
      const afterScriptFlushCommands = countByName(
        await monitorCommands(server, async () => (counted = await once())),
      );
      agrees &&= sameCounts(counted, afterScriptFlushCommands);
      figures.push({
        id: spec.id,
        warm: totalCommands(warmCommands),
        warmCommands,
        afterScriptFlush: totalCommands(afterScriptFlushCommands),
        afterScriptFlushCommands,
        counterAgrees: agrees,
      });
    } finally {
      await contender.close();
    }
  }
  return figures;
}

function sameCounts(a: CommandCounts, b: CommandCounts): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((name) => (a[name] ?? 0) === (b[name] ?? 0));
}
