import { median, round } from '../support/stats.js';
import { fixed, type Table } from './format.js';
import type { BenchResults } from './results.js';

/** The same engine and settings on two client libraries: node-redis against ioredis. */
const IOREDIS = 'ours/default';
const NODE_REDIS = 'ours/node-redis';

/**
 * node-redis ÷ ioredis: per round, then the median (both ran in every round, so a busy moment
 * of the machine weighs on both), or of the two figures when there are no rounds to pair.
 */
function ratio(
  ioredis: number,
  nodeRedis: number,
  byRound?: readonly [readonly number[], readonly number[]],
): number {
  if (byRound && byRound[0].length > 0 && byRound[0].length === byRound[1].length) {
    return round(median(byRound[1].map((value, r) => value / byRound[0][r]!)), 3);
  }
  return round(nodeRedis / ioredis, 3);
}

/**
 * The node-redis adapter's figures next to the ioredis adapter's, scenario by scenario: what
 * choosing node-redis costs or saves with this library. `undefined` when either did not run.
 */
export function clientAdapterTable(results: BenchResults): Table | undefined {
  const rows: string[][] = [];
  const row = (
    figure: string,
    ioredis: number | undefined,
    nodeRedis: number | undefined,
    digits: number,
    byRound?: readonly [readonly number[], readonly number[]],
  ): void => {
    if (ioredis === undefined || nodeRedis === undefined) return;
    rows.push([
      figure,
      fixed(ioredis, digits),
      fixed(nodeRedis, digits),
      fixed(ratio(ioredis, nodeRedis, byRound), 3),
    ]);
  };
  const pair = <T extends { readonly id: string }>(
    figures: readonly T[] | undefined,
  ): [T, T] | undefined => {
    const io = figures?.find((f) => f.id === IOREDIS);
    const nr = figures?.find((f) => f.id === NODE_REDIS);
    return io && nr ? [io, nr] : undefined;
  };

  const s1 = pair(results.uncontended);
  if (s1) {
    const [io, nr] = s1;
    row('1. uncontended ops/s', io.opsPerSec, nr.opsPerSec, 0, [
      io.opsPerSecByRound,
      nr.opsPerSecByRound,
    ]);
    row('1. uncontended p50 ms', io.p50Ms, nr.p50Ms, 3);
    row('1. uncontended client CPU µs', io.clientCpuUsPerOp, nr.clientCpuUsPerOp, 1);
  }
  const s2 = pair(results.parallel);
  if (s2) {
    const [io, nr] = s2;
    row('2. parallel ops/s', io.opsPerSec, nr.opsPerSec, 0, [
      io.opsPerSecByRound,
      nr.opsPerSecByRound,
    ]);
    row('2. parallel client CPU µs', io.clientCpuUsPerOp, nr.clientCpuUsPerOp, 1, [
      io.clientCpuUsPerOpByRound,
      nr.clientCpuUsPerOpByRound,
    ]);
  }
  for (const { label, contenders } of results.contention ?? []) {
    const s3 = pair(contenders);
    if (!s3) continue;
    const [io, nr] = s3;
    row(`3. ${label}: CS/s`, io.criticalSectionsPerSec, nr.criticalSectionsPerSec, 0, [
      io.criticalSectionsPerSecByRound,
      nr.criticalSectionsPerSecByRound,
    ]);
    row(`3. ${label}: wait p99 ms`, io.waitP99Ms, nr.waitP99Ms, 1);
    row(`3. ${label}: cmds/CS`, io.commandsPerCriticalSection, nr.commandsPerCriticalSection, 2);
  }
  const s6 = pair(results.roundTrips);
  if (s6) row('6. commands per acquire + release', s6[0].warm, s6[1].warm, 0);
  if (rows.length === 0) return undefined;
  return {
    title: `The node-redis adapter against the ioredis adapter: ${NODE_REDIS} ÷ ${IOREDIS} (same engine, same settings)`,
    headers: ['figure', IOREDIS, NODE_REDIS, 'node-redis ÷ ioredis'],
    align: ['left', 'right', 'right', 'right'],
    rows,
    notes: [
      'ratio: above 1 is faster for ops/s and CS/s, costlier for CPU, latency and commands; the median over rounds of the ratio within each round where the figure has rounds',
    ],
  };
}
