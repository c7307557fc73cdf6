/**
 * The flash-sale demo: 3 instances of the sample app behind a pretend load balancer sell 100
 * items to a few thousand concurrent buyers, once without the lock, once with it.
 *
 *   npm run demo              # 3000 requests per run
 *   npm run demo -- --short   # 600 requests, fewer cron ticks (what CI runs)
 *
 * Exit code 0 only when the locked run sold exactly the stock, with unique order ids, and the
 * cron job ran once per tick.
 */
import { Redis } from 'ioredis';
import { startInstance, stopInstances, type Instance } from './instances';
import { fire, percentile, type Outcome } from './load';
import { findRedis, type DemoRedis } from './redis';

const short = process.argv.includes('--short');
const INSTANCES = 3;
const STOCK = 100;
const REQUESTS = short ? 600 : 3_000;
const CONCURRENCY = short ? 60 : 150;
const CRON_SECONDS = short ? 3 : 5;

interface RunReport {
  readonly mode: string;
  readonly requests: number;
  readonly sold: number;
  readonly stockLeft: number;
  readonly oversold: number;
  readonly duplicateIds: number;
  readonly errors: number;
  readonly conserved: boolean;
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
}

let redis: DemoRedis | undefined;
let instances: Instance[] = [];
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await stopInstances(instances);
    await redis?.stop();
  })();
  return cleaning;
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.log('\nInterrupted: stopping the instances...');
  void cleanUp().then(() => process.exit(130));
});

async function run(mode: 'off' | 'on', productId: string): Promise<RunReport> {
  const urls = instances.map((i) => i.url);
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
  const state = (await (await fetch(`${urls[0]}/products/${productId}/stock`)).json()) as {
    stock: number;
    orders: string[];
  };
  const sold = outcomes.filter((o: Outcome) => o.sold).length;
  const latencies = outcomes.map((o) => o.ms);
  return {
    mode: `lock ${mode}`,
    requests: REQUESTS,
    sold,
    stockLeft: state.stock,
    oversold: Math.max(0, sold - STOCK),
    duplicateIds: state.orders.length - new Set(state.orders).size,
    errors: outcomes.filter((o) => o.status < 200 || o.status >= 300).length,
    conserved: state.stock + sold === STOCK && state.orders.length === sold,
    throughput: REQUESTS / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

function table(reports: readonly RunReport[]): string {
  const rows: Array<[string, (r: RunReport) => string]> = [
    ['requests', (r) => String(r.requests)],
    ['sold', (r) => String(r.sold)],
    ['stock left', (r) => String(r.stockLeft)],
    ['oversold', (r) => String(r.oversold)],
    ['duplicate order ids', (r) => String(r.duplicateIds)],
    ['errors', (r) => String(r.errors)],
    ['stock + sold = initial', (r) => (r.conserved ? 'yes' : 'NO')],
    ['throughput (req/s)', (r) => r.throughput.toFixed(0)],
    ['latency p50 (ms)', (r) => r.p50.toFixed(1)],
    ['latency p99 (ms)', (r) => r.p99.toFixed(1)],
  ];
  const head = `| ${''.padEnd(24)} | ${reports.map((r) => r.mode.padStart(9)).join(' | ')} |`;
  const line = `|${'-'.repeat(26)}|${reports.map(() => '-'.repeat(11)).join('|')}|`;
  const body = rows.map(
    ([name, value]) =>
      `| ${name.padEnd(24)} | ${reports.map((r) => value(r).padStart(9)).join(' | ')} |`,
  );
  return [head, line, ...body].join('\n');
}

async function cronTicks(url: string, from: number, to: number): Promise<Map<number, number>> {
  const client = new Redis(url);
  try {
    const runs = await client.hgetall('shop:settlements');
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

async function main(): Promise<number> {
  console.log(`Flash sale: ${STOCK} items, ${REQUESTS} buyers, ${INSTANCES} app instances.\n`);
  redis = await findRedis((line) => console.log(line));
  console.log(`Redis: ${redis.url}`);
  instances = await Promise.all(
    Array.from({ length: INSTANCES }, () =>
      startInstance({ REDIS_URL: redis!.url, SETTLE_CRON: '* * * * * *', SETTLE_MS: '300' }),
    ),
  );
  console.log(`Instances: ${instances.map((i) => i.url).join(', ')}\n`);

  const productId = `flash-${Date.now()}`;
  const unlocked = await run('off', productId);
  const locked = await run('on', productId);
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
    locked.errors === 0;
  console.log(
    lockedOk
      ? `With the lock: exactly ${STOCK} sold, none oversold, every order id unique.`
      : 'With the lock: WRONG RESULT (see the table).',
  );

  // The settlement job fires every second on all 3 instances; the lock lets one run per tick.
  const from = Math.floor(Date.now() / 1000) + 1;
  await new Promise((r) => setTimeout(r, (CRON_SECONDS + 1) * 1000));
  const to = from + CRON_SECONDS - 1;
  const ticks = await cronTicks(redis.url, from, to);
  const counts = Array.from({ length: CRON_SECONDS }, (_, i) => ticks.get(from + i) ?? 0);
  const cronOk = counts.every((count) => count === 1);
  console.log(
    `\nCron "settle-orders" on ${INSTANCES} instances, ${CRON_SECONDS} ticks: runs per tick = [${counts.join(', ')}] ${cronOk ? '(once each)' : '(NOT once each)'}`,
  );
  return lockedOk && cronOk ? 0 : 1;
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
