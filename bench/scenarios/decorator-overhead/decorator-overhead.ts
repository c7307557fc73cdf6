import type { RedisServer } from '../../../test/support/redis-server.js';
import { median, round } from '../../support/stats.js';
import { createDecoratorPair, type DecoratorPair } from './pair.js';

export interface DecoratorParams {
  readonly rounds: number;
  readonly iterations: number;
  readonly warmup: number;
}

export type DecoratorFigures =
  | { readonly status: 'not run'; readonly reason: string }
  | {
      readonly status: 'measured';
      readonly decoratedOpsPerSec: number;
      readonly manualOpsPerSec: number;
      /** Median over rounds of (decorated time per call / manual time per call) - 1. */
      readonly overhead: number;
      readonly overheadByRound: readonly number[];
    };

const NOT_ON_BRANCH =
  'the Nest layer (@DistributedLock) is not on this branch yet: fill in createDecoratorPair() in bench/scenarios/decorator-overhead/pair.ts';

/** Time for `iterations` sequential calls on fresh keys, in ms. */
async function timeCalls(
  call: (key: string) => Promise<void>,
  prefix: string,
  iterations: number,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await call(`${prefix}:${i}`);
  return performance.now() - started;
}

/**
 * Scenario 4: what `@DistributedLock` costs on top of the same lock taken by hand, uncontended.
 * Both run on the same connection, alternating which goes first each round.
 */
export async function runDecoratorOverhead(
  server: RedisServer,
  params: DecoratorParams,
): Promise<DecoratorFigures> {
  const pair: DecoratorPair | undefined = await createDecoratorPair(server.client());
  if (!pair) return { status: 'not run', reason: NOT_ON_BRANCH };
  try {
    await timeCalls((k) => pair.decorated(k), 's4:warm:d', params.warmup);
    await timeCalls((k) => pair.manual(k), 's4:warm:m', params.warmup);
    const decoratedMs: number[] = [];
    const manualMs: number[] = [];
    for (let r = 0; r < params.rounds; r++) {
      const runDecorated = async (): Promise<void> => {
        decoratedMs.push(await timeCalls((k) => pair.decorated(k), `s4:d:${r}`, params.iterations));
      };
      const runManual = async (): Promise<void> => {
        manualMs.push(await timeCalls((k) => pair.manual(k), `s4:m:${r}`, params.iterations));
      };
      if (r % 2 === 0) {
        await runDecorated();
        await runManual();
      } else {
        await runManual();
        await runDecorated();
      }
    }
    const overheadByRound = decoratedMs.map((d, r) => d / manualMs[r]! - 1);
    const opsPerSec = (ms: number[]): number =>
      round(median(ms.map((t) => params.iterations / (t / 1000))), 0);
    return {
      status: 'measured',
      decoratedOpsPerSec: opsPerSec(decoratedMs),
      manualOpsPerSec: opsPerSec(manualMs),
      overhead: round(median(overheadByRound), 4),
      overheadByRound: overheadByRound.map((o) => round(o, 4)),
    };
  } finally {
    await pair.close();
  }
}
