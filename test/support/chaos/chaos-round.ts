import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type FaultProxy, startFaultProxy } from '../fault-proxy.js';
import { createClient } from '../lock-clients.js';
import { type RedisServer, startRedis } from '../redis-server.js';
import { disconnectClient } from './disconnect-client.js';
import { FaultInjector, type FaultKind, type RoundFaults } from './fault-injector.js';
import { type LeaseRecord, machineNow, type Violation } from './history.js';
import {
  type ActorsConfig,
  type ActorsResult,
  type CoreLibrary,
  type ManagerBackend,
  runActors,
} from './lease-actors.js';
import { judgeHistory } from './lease-oracle.js';
import { memoryPermitLeftovers, redisPermitLeftovers } from './permit-leftovers.js';
import { judgePermits } from './permit-oracle.js';
import { RedisHistory } from './redis-history.js';
import { startProcessChecks } from './process-checks.js';
import { QuorumFaultInjector } from './quorum-fault-injector.js';
import { QuorumHistory } from './quorum-history.js';
import { type QuorumMasters, startQuorumMasters } from './quorum-masters.js';
import { Random } from './random.js';

/**
 * Where a round runs the engine:
 * - `memory`: several managers in this process on one InMemoryLockStore;
 * - `redis`: several managers in this process, each on its own client through one of three
 *   fault proxies in front of a private Redis;
 * - `processes`: worker processes (the compiled library from dist/), each with its own proxy;
 * - `quorum`: several managers in this process on a Redlock quorum of five private masters,
 *   each master behind its own fault proxy; faults never reach a majority at once, and a
 *   killed master comes back only once the longest ttl has passed (see quorum-fault-injector.ts).
 */
export type Scenario = 'memory' | 'redis' | 'processes' | 'quorum';

export const SCENARIOS: readonly Scenario[] = ['memory', 'redis', 'processes', 'quorum'];

export interface RoundOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  /** How long operations run under faults, in seconds; a quiet cool-down follows. */
  readonly seconds: number;
  /** The engine, for the scenarios that run it in this process. */
  readonly lib: CoreLibrary;
}

export interface RoundReport {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly seconds: number;
  readonly leases: number;
  /** Of locks. */
  readonly criticalSections: number;
  /** Holds of semaphore permits that ended as they should (released, or withPermit returned). */
  readonly permitSections: number;
  readonly operations: Record<string, number>;
  readonly outcomes: Record<string, number>;
  readonly faults: Partial<Record<FaultKind, number>>;
  readonly violations: Violation[];
}

/** After the faults stop, actors go on this long so their last releases reach Redis. */
const COOL_DOWN_MS = 2_500;
const KEY_PREFIX = 'chaos:';
const KEYS = Array.from({ length: 16 }, (_, i) => `k${i}`);
/**
 * Semaphores, by key, with the `permits` every caller of the key uses. Few keys for the
 * semaphore actors of a process, so that they queue: a release then hands permits to waiters
 * more often than a caller finds them free.
 */
const SEMAPHORES: Readonly<Record<string, number>> = { s0: 2, s1: 3, s2: 3 };
/** Five masters: a majority of three survives any two under a fault (three masters: one). */
const QUORUM_MASTERS = 5;
/** A killed master stays down this much longer than the longest ttl of the round. */
const RESTART_MARGIN_MS = 250;

const SHAPES: Record<
  Scenario,
  Pick<ActorsConfig, 'actors' | 'semaphoreActors' | 'managers' | 'ttls' | 'maxExtendTtl'> & {
    workers?: number;
  }
> = {
  memory: {
    actors: 40,
    semaphoreActors: 12,
    managers: 3,
    ttls: [80, 120, 200, 300],
    maxExtendTtl: 1_200,
  },
  redis: {
    actors: 40,
    semaphoreActors: 12,
    managers: 4,
    ttls: [120, 200, 300, 500],
    maxExtendTtl: 2_000,
  },
  processes: {
    actors: 10,
    semaphoreActors: 3,
    managers: 2,
    ttls: [120, 200, 300, 500],
    maxExtendTtl: 2_000,
    workers: 4,
  },
  // Two round trips per acquire on five masters: ttls a little longer than on one Redis. No
  // semaphores: a quorum refuses them (they need one place that counts).
  quorum: {
    actors: 30,
    semaphoreActors: 0,
    managers: 4,
    ttls: [150, 250, 400, 600],
    maxExtendTtl: 1_500,
  },
};

/** The one line that runs this round again, with the same operations and faults. */
export function replayCommand(scenario: Scenario, seed: number, seconds: number): string {
  // A round of the redis scenario on node-redis replays only on node-redis.
  const client =
    scenario === 'redis' && process.env.CHAOS_CLIENT === 'node-redis'
      ? 'CHAOS_CLIENT=node-redis '
      : '';
  return `${client}npm run test:chaos -- --scenario ${scenario} --seed ${seed} --seconds ${seconds}`;
}

/** redis-server 7 refuses DEBUG unless enabled; older versions have no such option. */
function debugCommandArgs(): string[] {
  const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
  const major = Number(/v=(\d+)/.exec(version)?.[1] ?? 0);
  return major >= 7 ? ['--enable-debug-command', 'yes'] : [];
}

/** Runs one round: operations of every kind under faults, then the oracle's verdict. */
export async function runRound(options: RoundOptions): Promise<RoundReport> {
  const { scenario, seed, seconds, lib } = options;
  const shape = SHAPES[scenario];
  const checks = startProcessChecks();
  const rng = new Random(seed);
  const origin = machineNow();
  const faultUntil = origin + seconds * 1_000;
  const config: Omit<ActorsConfig, 'process'> = {
    seed,
    durationMs: seconds * 1_000 + COOL_DOWN_MS,
    actors: shape.actors,
    semaphoreActors: shape.semaphoreActors,
    semaphores: shape.semaphoreActors > 0 ? SEMAPHORES : {},
    managers: shape.managers,
    keys: KEYS,
    keyPrefix: KEY_PREFIX,
    ttls: shape.ttls,
    maxExtendTtl: shape.maxExtendTtl,
  };

  let results: ActorsResult[];
  let injector: RoundFaults;
  const violations: Violation[] = [];
  let server: RedisServer | undefined;
  let redisHistory: Pick<RedisHistory, 'around' | 'stop'> | undefined;
  let quorum: QuorumMasters | undefined;
  const proxies: FaultProxy[] = [];
  try {
    if (scenario === 'quorum') {
      quorum = await startQuorumMasters(QUORUM_MASTERS, debugCommandArgs());
      if (process.env.CHAOS_REDIS_LOG !== '0') {
        const history = new QuorumHistory(KEY_PREFIX);
        redisHistory = history;
        await history.start(quorum.masters);
      }
      injector = new QuorumFaultInjector(
        {
          masters: quorum.masters,
          proxies: quorum.proxies,
          keyPrefix: KEY_PREFIX,
          restartDelayMs: Math.max(shape.maxExtendTtl, ...shape.ttls) + RESTART_MARGIN_MS,
        },
        rng.fork('faults'),
      );
      const masters = quorum;
      [results] = await Promise.all([
        runActors({ lib, backend: () => masters.backend() }, { ...config, process: 'main' }).then(
          (result) => [result],
        ),
        injector.run(faultUntil),
      ]);
      await masters.disposed();
      for (const [i, master] of quorum.masters.entries()) {
        violations.push(...(await redisLeftovers(master, results, `master ${i}`)));
      }
    } else if (scenario === 'memory') {
      const store = new lib.InMemoryLockStore();
      injector = new FaultInjector(
        { proxies, keyPrefix: KEY_PREFIX, inProcess: true },
        rng.fork('faults'),
      );
      [results] = await Promise.all([
        runActors(
          { lib, backend: () => ({ clients: store, dispose: () => undefined }) },
          { ...config, process: 'main' },
        ).then((result) => [result]),
        injector.run(faultUntil),
      ]);
      const permitsLeft = await memoryPermitLeftovers(lib, store, KEY_PREFIX, config.semaphores);
      violations.push(...permitsLeft);
      violations.push(...(await memoryLeftovers(lib, store, results, permitsLeft.length > 0)));
    } else {
      server = await startRedis({ args: debugCommandArgs() });
      // Diagnosis only, at about 15% of the throughput: CHAOS_REDIS_LOG=0 turns it off.
      if (process.env.CHAOS_REDIS_LOG !== '0') {
        const history = new RedisHistory(KEY_PREFIX);
        redisHistory = history;
        await history.start(server);
      }
      const count = scenario === 'redis' ? 3 : shape.workers!;
      for (let i = 0; i < count; i++) {
        proxies.push(await startFaultProxy({ targetPort: server.port }));
      }
      if (scenario === 'redis') {
        injector = new FaultInjector(
          { proxies, server, keyPrefix: KEY_PREFIX, inProcess: true },
          rng.fork('faults'),
        );
        const backend = (slot: number): ManagerBackend => {
          const port = proxies[slot % proxies.length]!.port;
          if (process.env.CHAOS_CLIENT === 'node-redis') return nodeRedisBackend(port);
          const client = server!.client({
            port,
            // CHAOS_DEBUG: errors carry the stack of the call that sent the command.
            showFriendlyErrorStack: Boolean(process.env.CHAOS_DEBUG),
          });
          return { clients: client, dispose: () => disconnectClient(client) };
        };
        [results] = await Promise.all([
          runActors({ lib, backend }, { ...config, process: 'main' }).then((result) => [result]),
          injector.run(faultUntil),
        ]);
      } else {
        const workers = await startWorkers(proxies);
        injector = new FaultInjector(
          {
            proxies,
            server,
            keyPrefix: KEY_PREFIX,
            processes: workers.map((worker) => worker.child),
            inProcess: false,
          },
          rng.fork('faults'),
        );
        const start = machineNow();
        const outcomes = workers.map((worker, i) =>
          worker.run({
            ...config,
            process: `w${i}`,
            durationMs: config.durationMs - (start - origin),
          }),
        );
        const [settled] = await Promise.all([Promise.all(outcomes), injector.run(faultUntil)]);
        results = settled.map((outcome) => outcome.result);
        for (const outcome of settled) violations.push(...outcome.violations);
      }
      violations.push(...(await redisLeftovers(server, results, 'Redis', config.semaphores)));
    }
  } finally {
    await redisHistory?.stop();
    for (const proxy of proxies) await proxy.close();
    await server?.stop();
    await quorum?.stop();
  }

  const leases = results.flatMap((result) => result.leases);
  for (const result of results) violations.push(...result.violations);
  const redisLog =
    redisHistory &&
    ((key: string, from: number, to: number) => redisHistory!.around(key, from, to));
  violations.push(...judgeHistory(leases, injector.restarts, injector.log, origin, redisLog));
  violations.push(...judgePermits(leases, injector.restarts, injector.log, origin, redisLog));
  violations.push(...(await checks.finish()));

  const operations: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (const result of results) {
    for (const [name, count] of Object.entries(result.operations)) {
      operations[name] = (operations[name] ?? 0) + count;
    }
    for (const [name, count] of Object.entries(result.outcomes)) {
      outcomes[name] = (outcomes[name] ?? 0) + count;
    }
  }
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const kind of injector.kinds) faults[kind] = injector.counts[kind];
  return {
    scenario,
    seed,
    seconds,
    leases: leases.length,
    criticalSections: results.reduce((sum, result) => sum + result.criticalSections, 0),
    permitSections: results.reduce((sum, result) => sum + result.permitSections, 0),
    operations,
    outcomes,
    faults,
    violations,
  };
}

/** Which lease a leftover token belongs to, for the report. */
function ownerOf(token: string | null, results: readonly ActorsResult[]): string {
  if (!token) return 'no owner token';
  const lease: LeaseRecord | undefined = results
    .flatMap((result) => result.leases)
    .find((record) => record.token === token);
  return lease
    ? `the token of ${lease.id} (${lease.via}, manager ${lease.manager}, ended: ${lease.end ?? 'never'})`
    : 'a token never handed to any caller (an acquire that did not return its lock)';
}

/**
 * Lock keys still in Redis once every manager closed (fencing counters excepted), and what
 * semaphores left (see permit-leftovers.ts).
 */
async function redisLeftovers(
  server: RedisServer,
  results: readonly ActorsResult[],
  /** Which server, when a round has several. */
  where = 'Redis',
  semaphores: Readonly<Record<string, number>> = {},
): Promise<Violation[]> {
  const admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
  admin.on('error', () => undefined);
  const violations: Violation[] = [];
  try {
    await admin.connect();
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, page] = await admin.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      names.push(
        ...page.filter(
          (name) =>
            !name.startsWith(`${KEY_PREFIX}#`) &&
            !Object.hasOwn(semaphores, name.slice(KEY_PREFIX.length)),
        ),
      );
    } while (cursor !== '0');
    for (const name of names) {
      const [token, ttl] = await Promise.all([admin.hget(name, 't'), admin.pttl(name)]);
      violations.push({
        kind: 'leftover-key',
        message: `${where} still holds ${name} (ttl ${ttl} ms) after every manager closed: ${ownerOf(token, results)}`,
      });
    }
    violations.push(
      ...(await redisPermitLeftovers(
        admin,
        KEY_PREFIX,
        semaphores,
        results.flatMap((result) => result.leases),
        where,
      )),
    );
  } finally {
    admin.disconnect();
  }
  return violations;
}

/** Locks still in the in-memory store once every manager closed. */
async function memoryLeftovers(
  lib: CoreLibrary,
  store: InstanceType<CoreLibrary['InMemoryLockStore']>,
  results: readonly ActorsResult[],
  /** Semaphores already reported what the store still counts. */
  explained = false,
): Promise<Violation[]> {
  if (store.size === 0) return [];
  const probe = new lib.LockManager(store, { keyPrefix: KEY_PREFIX });
  const violations: Violation[] = [];
  for (const key of KEYS) {
    const info = await probe.inspect(key);
    if (!info.held) continue;
    const token = results
      .flatMap((result) => result.leases)
      .find((lease) => lease.keys.includes(key) && lease.fencingToken === info.fencingToken);
    violations.push({
      kind: 'leftover-key',
      message: `the in-memory store still holds ${key} (ttl ${info.ttl} ms, fencing ${info.fencingToken}) after every manager closed: ${token ? `lease ${token.id} (${token.via}, ended: ${token.end ?? 'never'})` : 'a lock never handed to any caller'}`,
    });
  }
  await probe.close();
  if (violations.length === 0 && !explained) {
    violations.push({
      kind: 'leftover-key',
      message: `the in-memory store still holds ${store.size} keys after every manager closed`,
    });
  }
  return violations;
}

interface WorkerOutcome {
  readonly result: ActorsResult;
  readonly violations: Violation[];
}

interface Worker {
  readonly child: ChildProcess;
  run(config: ActorsConfig): Promise<WorkerOutcome>;
}

const WORKER = join(__dirname, '..', 'workers', 'chaos-worker.cjs');

/** Forks one worker per proxy and waits until each has loaded the library. */
async function startWorkers(proxies: readonly FaultProxy[]): Promise<Worker[]> {
  return Promise.all(
    proxies.map(async (proxy) => {
      const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4_000);
      });
      const exited = new Promise<number | string>((resolve) =>
        child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
      );
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        void exited.then((code) =>
          reject(new Error(`chaos worker exited (${code}) before it was ready: ${stderr}`)),
        );
      });
      return {
        child,
        async run(config: ActorsConfig): Promise<WorkerOutcome> {
          child.send({ type: 'start', config, port: proxy.port });
          let hungTimer: NodeJS.Timeout | undefined;
          const result = await new Promise<ActorsResult | 'hung' | undefined>((resolve) => {
            child.once('message', (message: { result: ActorsResult }) => resolve(message.result));
            void exited.then(() => resolve(undefined));
            // Its own watchdogs report hung operations; this one is for the worker itself.
            hungTimer = setTimeout(() => resolve('hung'), config.durationMs + 120_000);
          });
          clearTimeout(hungTimer);
          const violations: Violation[] = [];
          if (result === 'hung' || !result) {
            if (result === 'hung') {
              child.kill('SIGKILL');
              await exited;
            }
            violations.push({
              kind: result === 'hung' ? 'hung' : 'worker-failed',
              message:
                result === 'hung'
                  ? `worker ${config.process} (pid ${child.pid}) sent no result within 2 minutes of its end, and was killed\n${stderr}`
                  : `worker ${config.process} (pid ${child.pid}) died: ${await exited}\n${stderr}`,
            });
            return {
              result: {
                leases: [],
                operations: {},
                outcomes: {},
                criticalSections: 0,
                permitSections: 0,
                violations: [],
              },
              violations,
            };
          }
          // Nothing may keep a worker alive once its managers closed and its clients quit.
          let timer: NodeJS.Timeout | undefined;
          const code = await Promise.race([
            exited,
            new Promise<'alive'>((resolve) => (timer = setTimeout(() => resolve('alive'), 10_000))),
          ]);
          clearTimeout(timer);
          if (code === 'alive') {
            child.kill('SIGKILL');
            await exited;
            violations.push({
              kind: 'leftover-resource',
              message: `worker ${config.process} did not exit by itself within 10 s of closing everything`,
            });
          } else if (code !== 0) {
            violations.push({
              kind: 'worker-failed',
              message: `worker ${config.process} exited with ${code}\n${stderr}`,
            });
          }
          return { result, violations };
        },
      };
    }),
  );
}

/**
 * CHAOS_CLIENT=node-redis: the managers of the `redis` scenario on node-redis 6 clients instead
 * of ioredis (the tests' own node-redis client: quick reconnects, errors listened to). node-redis
 * rejects a command whose connection failed instead of sending it again, so its releases leave
 * no mark: the fault test then checks that path too.
 */
function nodeRedisBackend(port: number): ManagerBackend {
  const { client, close } = createClient('node-redis 6 (RESP3)', port);
  return { clients: client, dispose: close };
}
