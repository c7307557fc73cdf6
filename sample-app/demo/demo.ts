/**
 * The flash-sale demo: 3 instances of the sample app behind a pretend load balancer sell 100
 * items to a few thousand concurrent buyers, once without the lock, once with it; with
 * `--faults`, the locked sale again while a holder is frozen past its ttl and another is
 * killed, once without fencing and once with it, drawn as a timeline.
 *
 *   npm run demo                        # 3000 requests per run
 *   npm run demo -- --short             # 600 requests, fewer cron ticks
 *   npm run demo -- --faults            # plus the fault runs and the timeline picture
 *   npm run demo -- --short --faults    # what CI runs
 *   npm run demo -- --faults --out DIR  # where timeline.svg and timeline.html go (.tmp/demo)
 *
 * Exit code 0 only when the locked run sold exactly the stock with unique order ids, the cron
 * job ran once per tick, and (with --faults) the fenced run refused the stale write and sold
 * exactly the stock. The unlocked and unfenced runs are expected to go wrong.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { StockState } from '../src/stock/stock-repository.interface';
import { runFaultScenario, type FaultRun } from './faults';
import { startInstance, stopInstances, type Instance } from './instances';
import { Journal } from './journal';
import { fire } from './load';
import { dropSchema } from './postgres';
import { deleteKeys, findRedis, type DemoRedis } from './redis';
import { summarize, table, type RunReport } from './report';
import { writeTimeline } from './timeline-page';

const USAGE = 'Usage: npm run demo -- [--short] [--faults] [--out DIR]';

function options(): { short: boolean; faults: boolean; out: string } {
  try {
    const { values } = parseArgs({
      options: {
        short: { type: 'boolean', default: false },
        faults: { type: 'boolean', default: false },
        out: { type: 'string', default: join(__dirname, '..', '..', '..', '.tmp', 'demo') },
      },
      strict: true,
      allowPositionals: false,
    });
    return { short: values.short!, faults: values.faults!, out: values.out! };
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const args = options();
const INSTANCES = 3;
const STOCK = 100;
const REQUESTS = args.short ? 600 : 3_000;
const CONCURRENCY = args.short ? 60 : 150;
const CRON_SECONDS = args.short ? 3 : 5;
const FAULTS = {
  stock: args.short ? 40 : 100,
  ttlMs: 1_000,
  paymentMs: 25,
  concurrency: 12,
};

const runId = randomBytes(4).toString('hex');
/** Every key of this run is under it, and deleted at the end. */
const keyPrefix = `nrl-demo:${runId}:`;
const databaseUrl = process.env.DATABASE_URL || undefined;
const databaseSchema = `nrl_demo_${runId}`;

let redis: DemoRedis | undefined;
const instances: Instance[] = [];
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await stopInstances(instances);
    if (redis) {
      const removed = await deleteKeys(redis.url, keyPrefix).catch(() => 0);
      if (!redis.throwaway)
        console.log(`Removed the run's ${removed} keys (${keyPrefix}*) from ${redis.url}.`);
      await redis.stop();
    }
    if (databaseUrl) await dropSchema(databaseUrl, databaseSchema).catch(() => undefined);
  })();
  return cleaning;
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.log('\nInterrupted: stopping the instances...');
  void cleanUp().then(() => process.exit(130));
});

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function run(mode: 'off' | 'on', journal: Journal): Promise<RunReport> {
  const urls = instances.map((i) => i.url);
  const productId = `flash-${mode}-${Date.now()}`;
  const reset = await fetch(`${urls[0]}/products/${productId}/stock`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stock: STOCK }),
  });
  if (!reset.ok) throw new Error(`could not reset the stock: HTTP ${reset.status}`);
  const { outcomes, seconds } = await fire({
    urls,
    path: `/products/${productId}/orders${mode === 'off' ? '?lock=off' : ''}`,
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    label: `lock ${mode}`,
  });
  const state = await json<StockState>(`${urls[0]}/products/${productId}/stock`);
  const stale = journal.staleWrites(productId);
  return summarize(
    `lock ${mode}`,
    STOCK,
    state,
    outcomes,
    seconds,
    mode === 'on'
      ? { attempted: stale.length, rejected: stale.filter((w) => !w.accepted).length }
      : undefined,
  );
}

async function cronTicks(url: string, from: number, to: number): Promise<Map<number, number>> {
  const client = new Redis(url);
  try {
    const runs = await client.hgetall(`${keyPrefix}settlements`);
    const ticks = new Map<number, number>();
    for (const [tick, count] of Object.entries(runs)) {
      const second = Number(tick);
      if (second >= from && second <= to) ticks.set(second, Number(count));
    }
    return ticks;
  } finally {
    client.disconnect();
  }
}

/** The sale, lock off then on, and the cron job; true when the locked parts were right. */
async function lockRuns(): Promise<boolean> {
  const journal = new Journal();
  const env = {
    REDIS_URL: redis!.url,
    SHOP_KEY_PREFIX: keyPrefix,
    SALE_EVENTS: 'stdout',
    SETTLE_CRON: '* * * * * *',
    SETTLE_MS: '300',
    ...(databaseUrl && { DATABASE_SCHEMA: databaseSchema }),
  };
  instances.push(
    ...(await Promise.all(
      Array.from({ length: INSTANCES }, (_, i) =>
        startInstance(`shop-${i + 1}`, env, journal.recorder(`shop-${i + 1}`)),
      ),
    )),
  );
  console.log(`Instances: ${instances.map((i) => i.url).join(', ')}\n`);

  const unlocked = await run('off', journal);
  const locked = await run('on', journal);
  console.log(`\n${table([unlocked, locked])}\n`);

  if (unlocked.oversold > 0 || !unlocked.conserved) {
    console.log(
      `Without the lock: ${unlocked.oversold} items oversold and the stock count is ${unlocked.conserved ? 'right' : 'wrong'} (buyers raced between reading and writing the stock).`,
    );
  } else {
    console.log(
      'Without the lock this run happened not to oversell: the race is real but timing-dependent; run it again.',
    );
  }
  const lockedOk =
    locked.oversold === 0 &&
    locked.duplicateIds === 0 &&
    locked.conserved &&
    locked.sold === STOCK &&
    locked.failed === 0 &&
    locked.staleAttempted === 0;
  console.log(
    lockedOk
      ? `With the lock: exactly ${STOCK} sold, none oversold, every order id unique.`
      : 'With the lock: WRONG RESULT (see the table).',
  );

  // The settlement job fires every second on all 3 instances; the lock lets one run per tick.
  const from = Math.floor(Date.now() / 1000) + 1;
  await new Promise((r) => setTimeout(r, (CRON_SECONDS + 1) * 1000));
  const to = from + CRON_SECONDS - 1;
  const ticks = await cronTicks(redis!.url, from, to);
  const counts = Array.from({ length: CRON_SECONDS }, (_, i) => ticks.get(from + i) ?? 0);
  const cronOk = counts.every((count) => count === 1);
  console.log(
    `\nCron "settle-orders" on ${INSTANCES} instances, ${CRON_SECONDS} ticks: runs per tick = [${counts.join(', ')}] ${cronOk ? '(once each)' : '(NOT once each)'}`,
  );
  await stopInstances(instances.splice(0));
  return lockedOk && cronOk;
}

/** The locked sale with a frozen and a killed holder, unfenced then fenced; true when fenced was right. */
async function faultRuns(): Promise<boolean> {
  console.log(
    `\nFaults: the locked sale of ${FAULTS.stock} items again (ttl ${FAULTS.ttlMs} ms, ${FAULTS.paymentMs} ms payment between reading and writing the stock).`,
  );
  const runs: FaultRun[] = [];
  for (const fencing of [false, true]) {
    console.log(
      fencing
        ? '\nWith fencing (the write carries the fencing token; the stock refuses older tokens):'
        : '\nWithout fencing (?fencing=off: the write ignores the fencing token):',
    );
    runs.push(
      await runFaultScenario({
        fencing,
        redisUrl: redis!.url,
        keyPrefix,
        env: databaseUrl ? { DATABASE_SCHEMA: databaseSchema } : {},
        ...FAULTS,
        log: (line) => console.log(line),
        started: (instance) => instances.push(instance),
      }),
    );
    instances.splice(0);
  }
  const [unfenced, fenced] = runs.map((r) => r.report) as [RunReport, RunReport];
  const outcome = table([unfenced, fenced]);
  console.log(`\n${outcome}\n`);

  const phantom = runs[0]!.staleWrite.stockAfter - runs[0]!.staleWrite.stockBefore;
  console.log(
    unfenced.oversold > 0 || !unfenced.conserved
      ? `Without fencing: the frozen holder's stale write put ${phantom} sold items back on sale: ${unfenced.oversold} oversold.`
      : 'Without fencing this run happened not to oversell (the stale write landed between two sales); run it again.',
  );
  const fencedOk =
    fenced.oversold === 0 &&
    fenced.duplicateIds === 0 &&
    fenced.conserved &&
    fenced.sold === FAULTS.stock &&
    fenced.staleAttempted! > 0 &&
    fenced.staleRejected === fenced.staleAttempted;
  console.log(
    fencedOk
      ? `With fencing: the stale write was refused, exactly ${FAULTS.stock} sold, none oversold; the killed instance's lease ran out and the sale went on.`
      : 'With fencing: WRONG RESULT (see the table).',
  );
  const paths = writeTimeline(
    args.out,
    runs.map((r) => r.timeline),
    outcome,
  );
  console.log(`\nTimeline: ${paths.html}\n          ${paths.svg}`);
  return fencedOk;
}

async function main(): Promise<number> {
  console.log(
    `Flash sale: ${STOCK} items, ${REQUESTS} buyers, ${INSTANCES} app instances${args.faults ? ', then faults' : ''}.\n`,
  );
  redis = await findRedis((line) => console.log(line));
  console.log(
    `Redis: ${redis.url}${redis.throwaway ? '' : ` (this run's keys are under ${keyPrefix} and removed at the end)`}`,
  );
  if (databaseUrl) {
    console.log(`Stock: PostgreSQL, schema ${databaseSchema} (dropped at the end)`);
  }
  const locksOk = await lockRuns();
  const faultsOk = args.faults ? await faultRuns() : true;
  if (!args.faults)
    console.log(
      '\nWhat the lock survives, and why fencing tokens matter: npm run demo -- --faults',
    );
  return locksOk && faultsOk ? 0 : 1;
}

main().then(
  async (code) => {
    await cleanUp();
    process.exitCode = code;
  },
  async (error: unknown) => {
    // After Ctrl-C the requests in flight fail: that is not news.
    if (!interrupted) {
      console.error(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await cleanUp();
    process.exitCode = 1;
  },
);
