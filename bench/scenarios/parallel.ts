import type { ContenderSpec } from '../libraries/contender.js';
import { floorId, interleave, medianRatioToFloor } from '../support/interleave.js';
import { ContenderProcess } from './calls/contender-process.js';
import type { ParallelResult } from './calls/protocol.js';
import { redisCpuSeconds } from '../support/redis-cpu.js';
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
  /**
   * CPU time the contender's process (the library's JavaScript, ioredis, the socket writes)
   * spent per acquire + release while its loops ran, median over rounds. With 64 loops in
   * flight the process is busy all the time, so this is the client cost the throughput pays for.
   */
  readonly clientCpuUsPerOp: number;
  readonly clientCpuUsPerOpByRound: readonly number[];
  /** Median over rounds of this contender's client CPU per op over the floor's in that round. */
  readonly clientCpuRatioToFloor: number;
  /** CPU time redis-server spent per acquire + release (its scripts and commands). */
  readonly redisCpuUsPerOp: number;
}

interface RoundSample {
  readonly opsPerSec: number;
  readonly clientCpuUs: number;
  readonly redisCpuUs: number;
}

/**
 * Which keys the loops lock: `own`, one key per loop, used again and again; `fresh`, a new key
 * for every pair, as an application locking `order:<id>` for each request does.
 */
export type ParallelKeys = 'own' | 'fresh';

/**
 * Scenario 2: many async loops on one connection: how well the library shares one connection
 * (the commands of many callers share its socket), and what its per-call CPU cost does
 * once Redis round trips overlap. Run twice: each loop on its own key (2), and on a new key for
 * every pair (2b), where whatever a library keeps per key is made and dropped on every call.
 * Each contender runs in a process of its own (see calls/worker.ts); redis-server's CPU is read
 * around each turn.
 */
export async function runParallel(
  server: RedisServer,
  specs: readonly ContenderSpec[],
  params: ParallelParams,
  keys: ParallelKeys = 'own',
): Promise<ParallelFigures[]> {
  const prefix = keys === 'own' ? 's2' : 's2b';
  const processes = await ContenderProcess.startAll(specs, server.port);
  try {
    for (const worker of processes) {
      // One untimed window first: the JIT of the contender's process, its scripts, its keys.
      await worker.ask({
        type: 'parallel',
        prefix: `${prefix}:warm:${worker.spec.id}`,
        loops: params.loops,
        windowMs: params.windowMs,
        freshKeys: keys === 'fresh',
      });
    }
    const samples = await interleave(processes, params.rounds, async (worker) => {
      const redisBefore = await redisCpuSeconds(server);
      const turn = await worker.ask<ParallelResult>({
        type: 'parallel',
        prefix: `${prefix}:${worker.spec.id}`,
        loops: params.loops,
        windowMs: params.windowMs,
        freshKeys: keys === 'fresh',
      });
      const redisUsed = (await redisCpuSeconds(server)) - redisBefore;
      return {
        opsPerSec: turn.completed / turn.elapsedS,
        clientCpuUs: turn.cpuUs / turn.completed,
        redisCpuUs: (redisUsed * 1e6) / turn.completed,
      } satisfies RoundSample;
    });
    const floorSamples = samples.get(floorId(specs))!;
    const floorOps = floorSamples.map((s) => s.opsPerSec);
    const floorCpu = floorSamples.map((s) => s.clientCpuUs);
    return specs.map((spec) => {
      const own = samples.get(spec.id)!;
      const ops = own.map((s) => s.opsPerSec);
      const cpu = own.map((s) => s.clientCpuUs);
      return {
        id: spec.id,
        opsPerSec: round(median(ops), 0),
        opsPerSecByRound: ops.map((v) => round(v, 0)),
        ratioToFloor: round(medianRatioToFloor(ops, floorOps, median)),
        clientCpuUsPerOp: round(median(cpu), 1),
        clientCpuUsPerOpByRound: cpu.map((v) => round(v, 1)),
        clientCpuRatioToFloor: round(medianRatioToFloor(cpu, floorCpu, median)),
        redisCpuUsPerOp: round(median(own.map((s) => s.redisCpuUs)), 1),
      };
    });
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}
