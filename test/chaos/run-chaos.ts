// The long chaos run: `npm run test:chaos -- --minutes 10`, or one round again:
// `npm run test:chaos -- --scenario redis --seed 123 --seconds 16`. It runs the compiled library
// (dist/, built by the npm script) and exits non-zero when a guarantee was broken.
import type { CoreLibrary } from '../support/chaos/lease-actors.js';
import {
  formatCampaign,
  formatRound,
  formatViolations,
  ROUND_SECONDS,
  runCampaign,
} from '../support/chaos/chaos-campaign.js';
import { runRound, type Scenario, SCENARIOS } from '../support/chaos/chaos-round.js';
import { randomSeed } from '../support/chaos/random.js';
import { stopAllRedis } from '../support/redis-server.js';

const USAGE = `Usage:
  npm run test:chaos -- [--minutes N] [--seed S] [--scenario memory|redis|processes|quorum]
  npm run test:chaos -- --scenario <name> --seed <S> [--seconds N]   replays one round

  --minutes N    how long the run lasts (default 10); rounds of every scenario in turn
  --seed S       the run's seed (every round's seed derives from it), or with --scenario the
                 seed of the one round to replay
  --scenario X   only rounds of that scenario; with --seed, exactly one round
  --seconds N    seconds of faults per round (default: memory ${ROUND_SECONDS.memory}, redis ${ROUND_SECONDS.redis},
                 processes ${ROUND_SECONDS.processes}, quorum ${ROUND_SECONDS.quorum})
  CHAOS_DEBUG=1  (environment) Redis errors carry the stack of the call that sent the
                 command, and reports show long stacks: slower, for chasing one violation
  CHAOS_CLIENT=node-redis  (environment) the redis scenario's managers on node-redis 6 clients
                 instead of ioredis (the other scenarios stay on ioredis)
  CHAOS_REDIS_LOG=0  (environment) no MONITOR log of what Redis ran (overlap reports then lack
                 Redis's history of the key; about 15% more operations per second)`;

interface Arguments {
  minutes: number;
  seed: number | undefined;
  scenario: Scenario | undefined;
  seconds: number | undefined;
}

function parseArguments(argv: readonly string[]): Arguments {
  const parsed: Arguments = {
    minutes: 10,
    seed: undefined,
    scenario: undefined,
    seconds: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const number = (): number => {
      const n = Number(value);
      if (value === undefined || !Number.isFinite(n) || n < 0) {
        throw new Error(
          `${flag} needs a non-negative number, but received ${value ?? 'nothing'}.\n${USAGE}`,
        );
      }
      i++;
      return n;
    };
    switch (flag) {
      case '--minutes':
        parsed.minutes = number();
        break;
      case '--seconds':
        parsed.seconds = number();
        break;
      case '--seed':
        parsed.seed = Math.floor(number()) >>> 0;
        break;
      case '--scenario':
        if (!SCENARIOS.includes(value as Scenario)) {
          throw new Error(
            `--scenario takes one of ${SCENARIOS.join(', ')}, but received ${value ?? 'nothing'}.\n${USAGE}`,
          );
        }
        parsed.scenario = value as Scenario;
        i++;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown argument ${flag}.\n${USAGE}`);
    }
  }
  return parsed;
}

async function main(): Promise<number> {
  const args = parseArguments(process.argv.slice(2));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('../../dist/cjs/core/index.js') as CoreLibrary;

  if (args.scenario && args.seed !== undefined) {
    const seconds = args.seconds ?? ROUND_SECONDS[args.scenario];
    console.log(`Replaying a ${args.scenario} round, seed ${args.seed}, ${seconds} s of faults`);
    const report = await runRound({ scenario: args.scenario, seed: args.seed, seconds, lib });
    console.log(formatRound(report));
    if (report.violations.length > 0) console.log(formatViolations([report]));
    return report.violations.length > 0 ? 1 : 0;
  }

  const seed = args.seed ?? randomSeed();
  console.log(`Chaos run for ${args.minutes} min, seed ${seed}`);
  const report = await runCampaign({
    lib,
    seed,
    budgetSeconds: args.minutes * 60,
    scenarios: args.scenario ? [args.scenario] : undefined,
    roundSeconds:
      args.seconds === undefined
        ? undefined
        : Object.fromEntries(SCENARIOS.map((scenario) => [scenario, args.seconds!])),
    onRound: (round, index) => console.log(formatRound(round, index)),
  });
  console.log();
  console.log(formatCampaign(report));
  return report.rounds.some((round) => round.violations.length > 0) ? 1 : 0;
}

// Stopped by hand: no redis-server may outlive the run (workers exit when their parent goes).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAllRedis().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await stopAllRedis();
    process.exitCode = code;
  },
  async (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    await stopAllRedis();
    process.exitCode = 2;
  },
);
