import type { ContenderSpec } from '../libraries/contender.js';
import {
  floorId,
  interleave,
  medianRatioToFloor,
  type Participant,
} from '../support/interleave.js';
import { redisCpuSeconds } from '../support/redis-cpu.js';
import { median, percentile, round } from '../support/stats.js';
import type { RedisServer } from '../../test/support/redis-server.js';

export interface UncontendedParams {
  readonly rounds: number;
  /** Acquire + release pairs per contender per round. */
  readonly iterations: number;
  readonly warmup: number;
}

export interface UncontendedFigures {
  readonly id: string;
  /** Median over rounds. */
  readonly opsPerSec: number;
  readonly opsPerSecByRound: readonly number[];
  /** Latency of one acquire + release, over every iteration of every round. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * CPU time this process (the library's JavaScript, ioredis, the socket writes) spent per
   * acquire + release, median over rounds: where a difference in ops/s comes from.
   */
  readonly clientCpuUsPerOp: number;
  /** CPU time redis-server spent per acquire + release (its scripts and commands). */
  readonly redisCpuUsPerOp: number;
  readonly iterations: number;
  /** Median over rounds of (this contender's ops/s) / (the floor's ops/s in the same round). */
  readonly ratioToFloor: number;
}

interface RoundSample {
  readonly opsPerSec: number;
  readonly latenciesMs: number[];
  readonly clientCpuUs: number;
  readonly redisCpuUs: number;
}

/**
 * Scenario 1: one async loop, acquire + release on a fresh key each time, so nothing ever
 * waits: the cost of the library's own path plus two round trips.
 */
export async function runUncontended(
  server: RedisServer,
  specs: readonly ContenderSpec[],
  params: UncontendedParams,
): Promise<UncontendedFigures[]> {
  const participants: Participant[] = specs.map((spec) => ({
    spec,
    contender: spec.create(server.client()),
  }));
  try {
    for (const { spec, contender } of participants) {
      // Warm the JIT and load the scripts on the connection before anything is timed.
      for (let i = 0; i < params.warmup; i++) {
        await (await contender.acquire(`s1:warm:${spec.id}:${i}`)).release();
      }
    }
    const samples = await interleave(
      participants,
      params.rounds,
      async ({ spec, contender }, r) => {
        const latenciesMs: number[] = new Array(params.iterations);
        const redisBefore = await redisCpuSeconds(server);
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        for (let i = 0; i < params.iterations; i++) {
          const t0 = performance.now();
          const held = await contender.acquire(`s1:${spec.id}:${r}:${i}`);
          await held.release();
          latenciesMs[i] = performance.now() - t0;
        }
        const elapsedS = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuBefore);
        const redisUsed = (await redisCpuSeconds(server)) - redisBefore;
        return {
          opsPerSec: params.iterations / elapsedS,
          latenciesMs,
          clientCpuUs: (cpu.user + cpu.system) / params.iterations,
          redisCpuUs: (redisUsed * 1e6) / params.iterations,
        } satisfies RoundSample;
      },
    );
    const floorOps = samples.get(floorId(specs))!.map((s) => s.opsPerSec);
    return specs.map((spec) => {
      const own = samples.get(spec.id)!;
      const ops = own.map((s) => s.opsPerSec);
      const latencies = own.flatMap((s) => s.latenciesMs);
      return {
        id: spec.id,
        opsPerSec: round(median(ops), 0),
        opsPerSecByRound: ops.map((v) => round(v, 0)),
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        clientCpuUsPerOp: round(median(own.map((s) => s.clientCpuUs)), 1),
        redisCpuUsPerOp: round(median(own.map((s) => s.redisCpuUs)), 1),
        iterations: latencies.length,
        ratioToFloor: round(medianRatioToFloor(ops, floorOps, median)),
      };
    });
  } finally {
    await Promise.all(participants.map((p) => p.contender.close()));
  }
}
