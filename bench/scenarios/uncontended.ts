import type { ContenderSpec } from '../libraries/contender.js';
import { floorId, interleave, medianRatioToFloor } from '../support/interleave.js';
import { ContenderProcess } from './calls/contender-process.js';
import type { UncontendedResult } from './calls/protocol.js';
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
   * CPU time the contender's process (the library's JavaScript, ioredis, the socket writes)
   * spent per acquire + release, median over rounds: where a difference in ops/s comes from.
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
 * waits: the cost of the library's own path plus two round trips. Each contender runs in a
 * process of its own (see calls/worker.ts); redis-server's CPU is read around each turn.
 */
export async function runUncontended(
  server: RedisServer,
  specs: readonly ContenderSpec[],
  params: UncontendedParams,
): Promise<UncontendedFigures[]> {
  const processes = await ContenderProcess.startAll(specs, server.port);
  try {
    for (const worker of processes) {
      // Warm the JIT of the contender's process and load the scripts on its connection: the
      // same loop, untimed.
      await worker.ask({
        type: 'uncontended',
        prefix: `s1:warm:${worker.spec.id}`,
        iterations: params.warmup,
      });
    }
    const samples = await interleave(processes, params.rounds, async (worker, r) => {
      const redisBefore = await redisCpuSeconds(server);
      const turn = await worker.ask<UncontendedResult>({
        type: 'uncontended',
        prefix: `s1:${worker.spec.id}:${r}`,
        iterations: params.iterations,
      });
      const redisUsed = (await redisCpuSeconds(server)) - redisBefore;
      return {
        opsPerSec: params.iterations / turn.elapsedS,
        latenciesMs: turn.latenciesMs,
        clientCpuUs: turn.cpuUs / params.iterations,
        redisCpuUs: (redisUsed * 1e6) / params.iterations,
      } satisfies RoundSample;
    });
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
    await Promise.all(processes.map((p) => p.stop()));
  }
}
