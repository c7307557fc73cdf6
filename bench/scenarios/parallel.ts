import type { ContenderSpec } from '../libraries/contender.js';
import {
  floorId,
  interleave,
  medianRatioToFloor,
  type Participant,
} from '../support/interleave.js';
import { median, round } from '../support/stats.js';
import type { RedisServer } from '../../test/support/redis-server.js';

export interface ParallelParams {
  readonly rounds: number;
  readonly loops: number;
  /** How long each contender runs per round. */
  readonly windowMs: number;
}

export interface ParallelFigures {
  readonly id: string;
  readonly opsPerSec: number;
  readonly opsPerSecByRound: readonly number[];
  readonly ratioToFloor: number;
}

/**
 * Scenario 2: many async loops on one connection, each on its own key: how well the library
 * shares one connection (ioredis pipelines whatever is written in the same tick), and what its
 * per-call CPU cost does once Redis round trips overlap.
 */
export async function runParallel(
  server: RedisServer,
  specs: readonly ContenderSpec[],
  params: ParallelParams,
): Promise<ParallelFigures[]> {
  const participants: Participant[] = specs.map((spec) => ({
    spec,
    contender: spec.create(server.client()),
  }));
  try {
    for (const { spec, contender } of participants) {
      await Promise.all(
        Array.from({ length: params.loops }, async (_, loop) => {
          await (await contender.acquire(`s2:${spec.id}:${loop}`)).release();
        }),
      );
    }
    const samples = await interleave(participants, params.rounds, async ({ spec, contender }) => {
      const started = performance.now();
      const end = started + params.windowMs;
      let completed = 0;
      await Promise.all(
        Array.from({ length: params.loops }, async (_, loop) => {
          const key = `s2:${spec.id}:${loop}`;
          while (performance.now() < end) {
            await (await contender.acquire(key)).release();
            completed++;
          }
        }),
      );
      // The loops finish the pair they started at the deadline: count them over the time taken.
      return completed / ((performance.now() - started) / 1000);
    });
    const floorOps = samples.get(floorId(specs))!;
    return specs.map((spec) => {
      const ops = samples.get(spec.id)!;
      return {
        id: spec.id,
        opsPerSec: round(median(ops), 0),
        opsPerSecByRound: ops.map((v) => round(v, 0)),
        ratioToFloor: round(medianRatioToFloor(ops, floorOps, median)),
      };
    });
  } finally {
    await Promise.all(participants.map((p) => p.contender.close()));
  }
}
