import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LockManager } from '../../lib/core/index.js';
import { fairAcquireScript } from '../../lib/core/redis/fair/fair-acquire.script.js';
import { fairReleaseScript } from '../../lib/core/redis/fair/fair-release.script.js';
import { nextMessage } from '../support/child-process.js';
import { redisCpuSeconds } from '../support/redis-cpu.js';
import { median, round } from '../support/stats.js';
import { startRedis, stopAllRedis } from '../../test/support/redis-server.js';

/**
 * Scenario 1's gap taken apart: one loop of uncontended acquire + release pairs, as scenario 1
 * runs them, for hand-written variants that add one piece at a time, from the floor to our two
 * scripts exactly as the engine sends them, and the engine itself. Where redis-cost.ts measures
 * Redis's time with the network taken out (pipelined), this measures what each piece costs a
 * caller who waits for every reply: Redis's time and the client's, on the round trip.
 *
 * Each variant runs in a process of its own, in interleaved rounds; redis-server's CPU is read
 * around each turn and the keyspace flushed after it (so the marks' expiry lands in nobody's
 * turn). Ratios are to the floor of the same round, median over rounds.
 *
 *   tsc -p bench/tsconfig.json && node .tmp/bench/bench/cpu/one-loop.js [--pairs 10000] [--rounds 5]
 */

const FLOOR_RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const HASH_RELEASE = `if redis.call('HGET', KEYS[1], 't') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const LUA_SET = `return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')`;
const LUA_SET_FENCED = `local t = redis.call('TIME')
local fence = redis.call('INCR', KEYS[2])
return {redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX'), fence, t[1]}`;

/** One acquire + release, on a fresh key each time. */
type Pair = (key: string) => Promise<unknown>;

interface Variant {
  readonly what: string;
  make(redis: Redis): Promise<Pair>;
}

const token = (): string => randomBytes(16).toString('hex');
const load = (redis: Redis, lua: string): Promise<string> =>
  redis.script('LOAD', lua) as Promise<string>;

/** Our fair lock's two scripts with the engine's keys and arguments, sent by hand. */
async function ourScripts(redis: Redis, release: 'ours' | 'no mark' | 'bare'): Promise<Pair> {
  const acquire = await load(redis, fairAcquireScript('PUBLISH'));
  const ours = await load(redis, fairReleaseScript('PUBLISH'));
  const bare = await load(redis, HASH_RELEASE);
  return async (key) => {
    const lock = `lock:${key}`;
    const tag = '{bench}';
    const queue = [`lock:#queue:${tag}:${key}`, `lock:#queue-expiry:${tag}:${key}`];
    const fence = `lock:#fence:${tag}`;
    const t = token();
    await redis.evalsha(acquire, 4, lock, fence, ...queue, t, 30_000, 'bench:1', 5_000, 'w.1');
    if (release === 'bare') return redis.evalsha(bare, 1, lock, t);
    const mark = `lock:#released:${tag}:${t}`;
    return redis.evalsha(ours, 5, lock, ...queue, mark, fence, t, release === 'ours' ? '1' : '0');
  };
}

/** The floor taken by a script (`take`, with the key and `extraKeys`), then its release script. */
async function scriptedFloor(redis: Redis, take: string, extraKeys: string[]): Promise<Pair> {
  const [takeSha, release] = await Promise.all(
    [take, FLOOR_RELEASE].map((lua) => load(redis, lua)),
  );
  return async (key) => {
    const t = token();
    await redis.evalsha(takeSha!, 1 + extraKeys.length, key, ...extraKeys, t, 30_000);
    return redis.evalsha(release!, 1, key, t);
  };
}

const VARIANTS: Readonly<Record<string, Variant>> = {
  floor: {
    what: 'the floor: SET NX PX, then a compare-and-delete script',
    make: async (redis) => {
      const release = await load(redis, FLOOR_RELEASE);
      return async (key) => {
        const t = token();
        await redis.set(key, t, 'PX', 30_000, 'NX');
        return redis.evalsha(release, 1, key, t);
      };
    },
  },
  'floor-lua': {
    what: "the floor's SET inside a script",
    make: (redis) => scriptedFloor(redis, LUA_SET, []),
  },
  'floor-fenced': {
    what: '+ a fencing token (TIME, INCR of a counter) in the same script',
    make: (redis) => scriptedFloor(redis, LUA_SET_FENCED, ['fence:{bench}']),
  },
  'ours-bare-release': {
    what: 'our acquire script, then a bare compare-and-delete of the hash',
    make: (redis) => ourScripts(redis, 'bare'),
  },
  'ours-no-mark': {
    what: 'our two scripts, the release told to leave no mark',
    make: (redis) => ourScripts(redis, 'no mark'),
  },
  'ours-scripts': {
    what: 'our two scripts exactly as the engine sends them (with the mark)',
    make: (redis) => ourScripts(redis, 'ours'),
  },
  engine: {
    what: 'the engine: new LockManager(redis), acquire(key), release()',
    make: (redis) => {
      const manager = new LockManager(redis);
      return Promise.resolve(async (key) => (await manager.acquire(key)).release());
    },
  },
};

interface Turn {
  readonly variant: string;
  readonly opsPerSec: number;
  readonly clientCpuUs: number;
  readonly redisCpuUs: number;
}

/** In the child: warm up, then time `pairs` pairs; reports ops/s and client CPU per pair. */
async function runVariant(name: string, port: number, pairs: number): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port });
  const pair = await VARIANTS[name]!.make(redis);
  for (let i = 0; i < 3_000; i++) await pair(`warm:${name}:${i}`);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < pairs; i++) await pair(`loop:${name}:${process.pid}:${i}`);
  const elapsedS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const report: Report = {
    type: 'report',
    opsPerSec: pairs / elapsedS,
    clientCpuUs: (used.user + used.system) / pairs,
  };
  process.send!(report, () => process.exit(0));
}

interface Report {
  readonly type: 'report';
  readonly opsPerSec: number;
  readonly clientCpuUs: number;
}

/** A variant that has not answered within this long hangs: the run stops instead of waiting. */
const TURN_LIMIT_MS = 120_000;

async function turn(
  variant: string,
  port: number,
  pairs: number,
): Promise<Omit<Turn, 'redisCpuUs'>> {
  const child = fork(__filename, ['--child', variant, String(port), String(pairs)]);
  const { opsPerSec, clientCpuUs } = await nextMessage<Report>(
    child,
    'report',
    TURN_LIMIT_MS,
    variant,
  );
  return { variant, opsPerSec, clientCpuUs };
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

async function main(): Promise<void> {
  const pairs = option('--pairs', 10_000);
  const rounds = option('--rounds', 5);
  const server = await startRedis();
  const names = Object.keys(VARIANTS);
  const turns: Turn[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      // Rotated by one place per round, as the benchmark's rounds are.
      for (const name of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) {
        const before = await redisCpuSeconds(server);
        const measured = await turn(name, server.port, pairs);
        // Warm-up pairs included: Redis's CPU cannot be read around the timed part alone.
        const redisCpuUs = (((await redisCpuSeconds(server)) - before) * 1e6) / (pairs + 3_000);
        turns.push({ ...measured, redisCpuUs });
        await server.command('FLUSHALL');
      }
    }
  } finally {
    await stopAllRedis();
  }
  const floorByRound = turns.filter((t) => t.variant === 'floor').map((t) => t.opsPerSec);
  console.log(`${rounds} rounds × ${pairs} pairs, one loop, a process per variant and round\n`);
  console.log('| variant | × floor | ops/s | client CPU µs | Redis CPU µs | what |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const name of names) {
    const own = turns.filter((t) => t.variant === name);
    const ratios = own.map((t, i) => t.opsPerSec / floorByRound[i]!);
    console.log(
      `| ${name} | ${round(median(ratios))} | ${Math.round(median(own.map((t) => t.opsPerSec)))} | ${round(median(own.map((t) => t.clientCpuUs)), 1)} | ${round(median(own.map((t) => t.redisCpuUs)), 1)} | ${VARIANTS[name]!.what} |`,
    );
  }
}

if (process.argv[2] === '--child') {
  runVariant(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])).catch(
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
