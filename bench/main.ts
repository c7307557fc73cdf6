import { join } from 'node:path';
import { startRedis, stopAllRedis, type RedisServer } from '../test/support/redis-server.js';
import { CONFIGS, type BenchConfig } from './config.js';
import { CONTENDERS, SEMAPHORE_CONTENDERS } from './libraries/registry.js';
import { OURS_SEMAPHORE } from './libraries/semaphores.js';
import { renderText } from './report/format.js';
import { findFaults } from './report/integrity.js';
import { writeResults } from './report/output.js';
import type { BenchResults } from './report/results.js';
import { buildTables } from './report/tables.js';
import { evaluateTargets } from './report/targets.js';
import { runContention } from './scenarios/contention/coordinator.js';
import { runDeadWaiter } from './scenarios/dead-waiter/coordinator.js';
import { runDecoratorOverhead } from './scenarios/decorator-overhead/decorator-overhead.js';
import { runHeldLocks } from './scenarios/held-locks/coordinator.js';
import { runParallel } from './scenarios/parallel.js';
import { runRoundTrips } from './scenarios/round-trips.js';
import { runUncontended } from './scenarios/uncontended.js';
import { installCommandCounter } from './support/command-counter.js';
import { currentLoad, describeMachine } from './support/machine.js';
import { round } from './support/stats.js';
import { installedVersions, REPO_ROOT } from './support/versions.js';

const SCENARIOS = 8;

const USAGE = `Usage: npm run bench [-- --quick] [-- --only 1,3]
  --quick   every scenario briefly (under a minute); results go to bench/results/quick.tmp.*
  --only    run only the listed scenarios (1-${SCENARIOS}); results go to bench/results/partial.tmp.*`;

interface Args {
  readonly quick: boolean;
  readonly only: ReadonlySet<number> | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let only: Set<number> | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      only = new Set((list ?? '').split(',').map(Number));
      if ([...only].some((n) => !(n >= 1 && n <= SCENARIOS))) throw new Error(USAGE);
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return { quick, only };
}

function log(message: string): void {
  // Progress goes to stderr: stdout is the table.
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function redisVersion(server: RedisServer): Promise<string> {
  const info = String(await server.command('INFO', 'server'));
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

function newResults(config: BenchConfig): BenchResults {
  return {
    schema: 2,
    mode: config.mode,
    startedAt: new Date().toISOString(),
    machine: describeMachine(),
    versions: installedVersions(),
    contenders: [...CONTENDERS, ...SEMAPHORE_CONTENDERS].map((c) => ({
      id: c.id,
      library: c.library,
      tuning: c.tuning,
      options: c.options,
      settings: c.description,
    })),
    parameters: {
      uncontended: config.uncontended,
      parallel: config.parallel,
      contention: config.contention,
      semaphoreContention: config.semaphoreContention,
      decorator: config.decorator,
      heldLocks: config.heldLocks,
      deadWaiter: config.deadWaiter,
    },
    commandCounting:
      'Commands the clients sent, counted in each process where ioredis or node-redis writes a command to a socket (every connection, pub/sub included); commands run inside Lua scripts are not counted. Scenario 6 counts with MONITOR and checks that the two agree.',
    broken: [],
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const config = CONFIGS[args.quick ? 'quick' : 'full'];
  const started = performance.now();
  installCommandCounter();
  const results = newResults(config);
  const server = await startRedis();
  results.machine.redis = await redisVersion(server);
  log(
    `${config.mode} run on a private redis-server ${results.machine.redis} at 127.0.0.1:${server.port}`,
  );

  const scenario = async (n: number, name: string, run: () => Promise<void>): Promise<void> => {
    if (args.only && !args.only.has(n)) return;
    const t0 = performance.now();
    log(`${n}. ${name}: running (load average ${currentLoad().toFixed(2)})`);
    try {
      await run();
      log(`${n}. ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.broken.push(`${name}: ${message}`);
      log(`${n}. ${name}: FAILED: ${message}`);
    }
  };

  try {
    await scenario(1, 'uncontended', async () => {
      results.uncontended = await runUncontended(server, CONTENDERS, config.uncontended);
    });
    await scenario(2, 'parallel', async () => {
      results.parallel = await runParallel(server, CONTENDERS, config.parallel);
      results.parallelFreshKeys = await runParallel(server, CONTENDERS, config.parallel, 'fresh');
    });
    await scenario(3, 'contended', async () => {
      results.contention = await runContention(server, CONTENDERS, config.contention);
    });
    await scenario(8, 'contended semaphore', async () => {
      results.semaphoreContention = await runContention(
        server,
        SEMAPHORE_CONTENDERS,
        config.semaphoreContention,
        's8',
      );
    });
    await scenario(4, 'decorator overhead', async () => {
      results.decoratorOverhead = await runDecoratorOverhead(server, config.decorator);
    });
    await scenario(5, 'many held locks', async () => {
      results.heldLocks = await runHeldLocks(server, config.heldLocks);
    });
    await scenario(7, 'dead waiter', async () => {
      results.deadWaiter = await runDeadWaiter(
        server,
        [...CONTENDERS, OURS_SEMAPHORE],
        config.deadWaiter,
      );
    });
    // Last: it flushes the server's script cache.
    await scenario(6, 'round trips', async () => {
      results.roundTrips = await runRoundTrips(server, CONTENDERS);
    });
  } finally {
    await stopAllRedis();
  }

  results.broken.push(...findFaults(results));
  results.targets = evaluateTargets(results);
  results.machine.loadAverageAtEnd = currentLoad();
  results.durationS = round((performance.now() - started) / 1000, 1);

  const tables = buildTables(results);
  console.log(tables.map(renderText).join('\n\n'));
  const base = args.only ? 'partial.tmp' : args.quick ? 'quick.tmp' : 'latest';
  const files = writeResults(results, tables, join(REPO_ROOT, 'bench', 'results'), base);
  log(`wrote ${[files.json, files.svg, files.markdown].filter(Boolean).join(', ')}`);
  log(`finished in ${results.durationS} s`);
  if (results.broken.length > 0) {
    log(`BROKEN (exit 1):\n  ${results.broken.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
