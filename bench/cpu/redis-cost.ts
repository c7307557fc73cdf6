import { createHash } from 'node:crypto';
import { Command, type Redis } from 'ioredis';
import { contenderById } from '../libraries/registry.js';
import { redisCpuSeconds } from '../support/redis-cpu.js';
import { median } from '../support/stats.js';
import { type RedisServer, startRedis, stopAllRedis } from '../../test/support/redis-server.js';

/**
 * Redis's own CPU per uncontended acquire + release, without the network: what each
 * contender's commands cost the server once the cost of reading and writing sockets is out of
 * the way, and what each piece of our scripts costs (issue 14's "CPU diet", the server half).
 *
 * Each contender runs 20,000 pairs on fresh keys once, one after the other, while every command
 * its client writes is recorded. The recordings are then replayed to a fresh server, pipelined
 * (1,000 commands per write), in interleaved rounds; `INFO cpu` before and after each replay
 * gives the server's CPU time per pair. The keyspace is flushed after each replay, so keys left
 * to expire (our release marks) cost nothing in another contender's window: their expiry, a
 * delete per mark some seconds later, is left out for everyone.
 *
 * The pieces are hand-written pairs of scripts, each adding one thing to the one before, from
 * the floor done in Lua to a layout as ours/default's scripts use (a hash, the queue looked at,
 * a fencing token, the release mark), and the same with the lock stored as a string value
 * taken by `SET NX PX`.
 *
 *   tsc -p bench/tsconfig.json && node .tmp/bench/bench/cpu/redis-cost.js [--pairs 20000] [--rounds 5]
 */

type Recorded = ReadonlyArray<ReadonlyArray<string | number>>;

interface Entry {
  readonly id: string;
  readonly what: string;
  readonly commands: Recorded;
  /** Script texts to load before the replay (EVAL is replayed as EVALSHA). */
  readonly scripts: readonly string[];
  readonly pairs: number;
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

const DEFAULT_CONTENDERS = [
  'floor',
  'ours/default',
  'ours/barging',
  'redlock/default',
  'redis-semaphore/default',
];

/** Records every command a contender's client writes during `pairs` acquire + release pairs. */
async function record(server: RedisServer, id: string, pairs: number): Promise<Entry> {
  const redis = server.client();
  const contender = contenderById(id).create(redis);
  // Warm: the first use of a script on a connection sends its text.
  for (let i = 0; i < 3; i++) await (await contender.acquire(`warm:${id}:${i}`)).release();
  const commands: Array<Array<string | number>> = [];
  const toWritable = Command.prototype.toWritable;
  Command.prototype.toWritable = function recorded(this: Command, socket: object) {
    const args = this.args.map((arg) => (Buffer.isBuffer(arg) ? arg.toString() : String(arg)));
    if (this.name === 'eval') {
      commands.push(['evalsha', sha1(args[0]!), ...args.slice(1)]);
    } else {
      commands.push([this.name, ...args]);
    }
    return toWritable.call(this, socket);
  };
  try {
    for (let i = 0; i < pairs; i++) await (await contender.acquire(`cost:${id}:${i}`)).release();
  } finally {
    Command.prototype.toWritable = toWritable;
  }
  await contender.close();
  const loaded = scriptsOf(commands);
  redis.disconnect();
  return { id, what: 'recorded', commands, scripts: loaded, pairs };
}

/** The texts of the scripts the commands call (each was sent whole once, on its first use). */
function scriptsOf(commands: Recorded): string[] {
  const shas = new Set(commands.filter((c) => c[0] === 'evalsha').map((c) => String(c[1])));
  return [...shas].map((sha) => {
    const text = SCRIPT_TEXTS.get(sha);
    if (text === undefined) throw new Error(`no text for script ${sha}`);
    return text;
  });
}

/** Every script text seen on any connection of this process, by digest. */
const SCRIPT_TEXTS = new Map<string, string>();

function watchScriptTexts(): void {
  const toWritable = Command.prototype.toWritable;
  Command.prototype.toWritable = function seen(this: Command, socket: object) {
    if (this.name === 'eval') {
      const text = String(this.args[0]);
      SCRIPT_TEXTS.set(sha1(text), text);
    }
    return toWritable.call(this, socket);
  };
}

/**
 * One piece: an acquire script and a release script, sent as EVALSHA on the keys and token of
 * each pair. Keys are named as ours/default names them on a single server.
 */
function piece(id: string, what: string, acquire: string, release: string, pairs: number): Entry {
  const commands: Array<Array<string | number>> = [];
  for (let i = 0; i < pairs; i++) {
    const key = `lock:piece:${id}:${i}`;
    const token = createHash('md5').update(key).digest('hex');
    const keys = [
      key,
      'lock:#fence:{abc}',
      `lock:#queue:{abc}:${key}`,
      `lock:#released:{abc}:${token}`,
    ];
    commands.push(['evalsha', sha1(acquire), 4, ...keys, token, 30_000, 'owner:1']);
    commands.push(['evalsha', sha1(release), 4, ...keys, token]);
  }
  return { id, what, commands, scripts: [acquire, release], pairs };
}

const FENCE = `local now = redis.call('TIME')
local fence = string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2]))
local last = tonumber(redis.call('SET', KEYS[2], fence, 'GET'))
if last and last >= tonumber(fence) then fence = string.format('%.0f', last + 1); redis.call('SET', KEYS[2], fence) end`;
const MARK = `redis.call('SET', KEYS[4], 1, 'PX', 3000)`;

function pieces(pairs: number): Entry[] {
  const hashAcquire = (
    fence: boolean,
  ): string => `if redis.call('EXISTS', KEYS[1], KEYS[3]) ~= 0 then return 0 end
${fence ? FENCE : "local fence = '1'"}
redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', fence, 'o', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, fence}`;
  const hashRelease = (
    mark: boolean,
  ): string => `if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
${mark ? MARK : ''}
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('DEL', KEYS[1]) end
return 1`;
  const stringAcquire = `if redis.call('EXISTS', KEYS[3]) ~= 0 then return 0 end
${FENCE}
if not redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. fence .. ' ' .. ARGV[3], 'NX', 'PX', ARGV[2]) then return 0 end
return {1, fence}`;
  const stringRelease = (mark: boolean): string => `local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, #ARGV[1] + 1) ~= ARGV[1] .. ' ' then return 0 end
${mark ? MARK : ''}
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('DEL', KEYS[1]) end
return 1`;
  return [
    piece(
      'lua floor',
      "the floor's commands inside two scripts",
      "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])",
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      pairs,
    ),
    piece('hash', 'hash + pexpire, queue looked at', hashAcquire(false), hashRelease(false), pairs),
    piece(
      'hash+fence',
      '+ fencing token (TIME, SET GET)',
      hashAcquire(true),
      hashRelease(false),
      pairs,
    ),
    piece(
      'hash+fence+mark',
      '+ release mark (SET PX)',
      hashAcquire(true),
      hashRelease(true),
      pairs,
    ),
    piece(
      'string+fence',
      'string value by SET NX PX, fencing token',
      stringAcquire,
      stringRelease(false),
      pairs,
    ),
    piece('string+fence+mark', '+ release mark', stringAcquire, stringRelease(true), pairs),
  ];
}

/** Server CPU per pair of one replay, in µs. */
async function replay(server: RedisServer, redis: Redis, entry: Entry): Promise<number> {
  await redis.flushall();
  for (const text of entry.scripts) await redis.script('LOAD', text);
  const before = await redisCpuSeconds(server);
  const BATCH = 1_000;
  for (let i = 0; i < entry.commands.length; i += BATCH) {
    const pipeline = redis.pipeline();
    for (const [name, ...args] of entry.commands.slice(i, i + BATCH)) {
      pipeline.call(String(name), ...args);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw new Error(`${entry.id}: ${String(failed[0])}`);
  }
  const after = await redisCpuSeconds(server);
  await redis.flushall();
  return ((after - before) * 1e6) / entry.pairs;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

async function main(): Promise<void> {
  const pairs = option('pairs', 20_000);
  const rounds = option('rounds', 5);
  watchScriptTexts();
  const recorder = await startRedis();
  const entries: Entry[] = [];
  for (const id of DEFAULT_CONTENDERS) entries.push(await record(recorder, id, pairs));
  await recorder.stop();
  entries.push(...pieces(pairs));

  const server = await startRedis();
  const redis = server.client();
  const costs = new Map<string, number[]>(entries.map((entry) => [entry.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[(i + round) % entries.length]!;
      costs.get(entry.id)!.push(await replay(server, redis, entry));
    }
  }
  const floor = median(costs.get('floor')!);
  const perPair = (entry: Entry): string =>
    (entry.commands.length / entry.pairs).toFixed(2).replace(/\.00$/, '');
  console.log(
    `Redis CPU per acquire + release, replayed pipelined (${pairs} pairs, ${rounds} rounds)\n`,
  );
  console.log(
    '| contender or piece | commands per pair | µs per pair (median) | × floor | rounds, µs |',
  );
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const entry of entries) {
    const values = costs.get(entry.id)!;
    const name = entry.what === 'recorded' ? entry.id : `${entry.id}: ${entry.what}`;
    console.log(
      `| ${name} | ${perPair(entry)} | ${median(values).toFixed(2)} | ${(median(values) / floor).toFixed(2)} | ${values.map((v) => v.toFixed(2)).join(', ')} |`,
    );
  }
  redis.disconnect();
  await stopAllRedis();
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAllRedis();
  process.exitCode = 1;
});
