import { Redis } from 'ioredis';
import type { Contender } from '../libraries/contender.js';
import { contenderById } from '../libraries/registry.js';
import { hookCommandWrites } from '../support/command-counter.js';

/**
 * One measured process of bench/cpu/instructions.ts (run under callgrind by it): connects to
 * the Redis it is given, warms the contender up, then runs a fixed number of acquire + release
 * pairs and prints what Redis says it spent on them (`INFO commandstats`) as one JSON line,
 * with the names of the commands one pair sends (Redis also counts the calls scripts make
 * inside it: only the commands sent are the pair's cost).
 *
 * Arguments: contender id, Redis port, warm-up pairs, measured pairs, loops (1: one async loop,
 * a fresh key each time, as scenario 1; more: that many loops on one connection, a key each, as
 * scenario 2).
 */
async function main(): Promise<void> {
  const [id, port, warmup, count, loops] = process.argv.slice(2);
  if (!id || !port || !warmup || !count || !loops) {
    throw new Error('usage: instructions-worker <contender> <port> <warmup> <count> <loops>');
  }
  const redis = new Redis({ host: '127.0.0.1', port: Number(port), lazyConnect: true });
  await redis.connect();
  const contender = contenderById(id).create(redis);
  await run(contender, id, Number(warmup), Number(loops), 'w');
  await redis.config('RESETSTAT');
  await run(contender, id, Number(count), Number(loops), 'm');
  const stats = parseCommandStats(await redis.info('commandstats'));
  // After the measured part, so that the hook costs the same in the short and the long run.
  const sent = await namesSent(() => run(contender, id, 1, 1, 'n'));
  await contender.close();
  process.stdout.write(`${JSON.stringify({ id, count: Number(count), stats, sent })}\n`);
  redis.disconnect();
}

/** `count` acquire + release pairs, spread over `loops` async loops. */
async function run(
  contender: Contender,
  id: string,
  count: number,
  loops: number,
  phase: string,
): Promise<void> {
  if (loops === 1) {
    for (let i = 0; i < count; i++)
      await (await contender.acquire(`cpu:${id}:${phase}${i}`)).release();
    return;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      const key = `cpu:${id}:${loop}`;
      while (next < count) {
        next++;
        await (await contender.acquire(key)).release();
      }
    }),
  );
}

/** The names of the commands the client writes to a socket while `work` runs. */
async function namesSent(work: () => Promise<void>): Promise<string[]> {
  const names = new Set<string>();
  const unhook = hookCommandWrites((name) => names.add(name.toLowerCase()));
  try {
    await work();
  } finally {
    unhook();
  }
  return [...names];
}

/** `cmdstat_evalsha:calls=3,usec=40,...` lines → { evalsha: { calls, usec } }. */
function parseCommandStats(info: string): Record<string, { calls: number; usec: number }> {
  const stats: Record<string, { calls: number; usec: number }> = {};
  for (const line of info.split('\r\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+),/.exec(line);
    if (match) stats[match[1]!] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
