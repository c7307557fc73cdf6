import { setTimeout as sleep } from 'node:timers/promises';
import type { StockState } from '../src/stock/stock-repository.interface';
import { startInstance, stopInstances, type Instance } from './instances';
import { Journal, type Entry } from './journal';
import { fire } from './load';
import { summarize, type RunReport } from './report';
import {
  holdsOf,
  stockLine,
  type KillMark,
  type PauseMark,
  type StaleWriteMark,
  type TakeoverMark,
  type TimelineRun,
} from './timeline';

export interface FaultScenarioOptions {
  /** Whether the stock write carries the lock's fencing token (`?fencing=off` when not). */
  readonly fencing: boolean;
  readonly redisUrl: string;
  /** The run's Redis key prefix (`SHOP_KEY_PREFIX`). */
  readonly keyPrefix: string;
  /** More environment for the instances (`DATABASE_URL`, `DATABASE_SCHEMA`). */
  readonly env?: NodeJS.ProcessEnv;
  readonly stock: number;
  /** The locks' ttl: short, so the pause outlives it quickly. */
  readonly ttlMs: number;
  /** The payment step of a sale: the window between reading and writing the stock. */
  readonly paymentMs: number;
  readonly concurrency: number;
  /** One line per fault, as it happens. */
  readonly log: (line: string) => void;
  /** Instances started by the run, for the caller's cleanup on Ctrl-C. */
  readonly started?: (instance: Instance) => void;
}

export interface FaultRun {
  readonly report: RunReport;
  readonly timeline: TimelineRun;
  /** The paused holder's write after it woke up. */
  readonly staleWrite: StaleWriteMark;
  /** Buyers told that the fence refused their sale (HTTP 409, `stale-lock`). */
  readonly refusedAnswers: number;
}

type Read = Extract<Entry, { type: 'read' }>;
type Write = Extract<Entry, { type: 'write' }>;
type Grant = Extract<Entry, { type: 'acquired' }>;

const NAMES = ['shop-1', 'shop-2', 'shop-3'];

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * One run of the locked sale with faults injected for real, on 3 instances:
 *
 * 1. once a fifth of the stock is sold, the instance holding the lock is frozen with SIGSTOP
 *    between reading the stock and writing it back, and stays frozen until the others have
 *    taken over and sold out: far longer than the ttl;
 * 2. meanwhile the next holder is killed with SIGKILL mid-sale: its lease runs out and the
 *    third instance carries on;
 * 3. the frozen instance gets SIGCONT and writes the stock it read before the pause: with
 *    fencing, the store refuses the write (its token is older than the last accepted); without,
 *    the stock jumps back up and the phantom items are sold again.
 */
export async function runFaultScenario(options: FaultScenarioOptions): Promise<FaultRun> {
  const { stock, ttlMs, log } = options;
  const journal = new Journal();
  const productId = `faults-${options.fencing ? 'fenced' : 'unfenced'}-${Date.now()}`;
  const key = `stock:${productId}`;
  const instances = await Promise.all(
    NAMES.map(async (name) => {
      const instance = await startInstance(
        name,
        {
          REDIS_URL: options.redisUrl,
          SHOP_KEY_PREFIX: options.keyPrefix,
          LOCK_TTL_MS: String(ttlMs),
          PAYMENT_MS: String(options.paymentMs),
          SALE_EVENTS: 'stdout',
          // The settlement job is the other part of the demo; here it would only add noise.
          SETTLE_CRON: '0 0 0 1 1 *',
          ...options.env,
        },
        journal.recorder(name),
      );
      options.started?.(instance);
      return instance;
    }),
  );
  const byName = (name: string): Instance => instances.find((i) => i.name === name)!;
  const live = (): Instance => instances.find((i) => i.alive)!;
  const clock = (() => {
    let zero = 0;
    return {
      start: () => (zero = Date.now()),
      at: (t: number) => `${((t - zero) / 1000).toFixed(1).padStart(5)} s`,
    };
  })();
  const say = (t: number, text: string): void => log(`  ${clock.at(t)}  ${text}`);

  try {
    const reset = await fetch(`${instances[0]!.url}/products/${productId}/stock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stock }),
    });
    if (!reset.ok) throw new Error(`could not set the stock: HTTP ${reset.status}`);

    const start = clock.start();
    const stopLoad = new AbortController();
    const load = fire({
      urls: instances.map((i) => i.url),
      path: `/products/${productId}/orders${options.fencing ? '' : '?fencing=off'}`,
      concurrency: options.concurrency,
      until: stopLoad.signal,
    });
    const soldSoFar = (): number => journal.sales(productId).length;
    const waitForSales = async (count: number): Promise<void> => {
      if (soldSoFar() >= count) return;
      await journal.wait(
        `${count} sales`,
        (e) => e.type === 'write' && e.productId === productId && soldSoFar() >= count,
        { timeoutMs: 60_000 },
      );
    };
    const saleRead = (who: (name: string) => boolean) => (e: Entry) =>
      e.type === 'read' &&
      e.productId === productId &&
      e.token !== undefined &&
      e.stock > 0 &&
      who(e.instance);

    // 1. Freeze the holder mid-sale. The instance reports a read before its payment step; the
    //    SIGSTOP lands during that step. If it lands late (the write was already out), let the
    //    instance go and wait for the next sale.
    await waitForSales(Math.round(stock / 5));
    let pause: { instance: Instance; read: Read; at: number } | undefined;
    for (let attempt = 0; attempt < 10 && !pause; attempt++) {
      const read = (await journal.wait(
        'a sale by the lock holder',
        saleRead(() => true),
        {
          timeoutMs: 30_000,
        },
      )) as Read;
      const instance = byName(read.instance);
      instance.pause();
      const at = Date.now();
      // Whatever it wrote before it froze is in the pipe within a few ms.
      await sleep(200);
      const wrote = journal.find(
        (e) => e.type === 'write' && e.instance === instance.name && e.token === read.token,
      );
      if (wrote) instance.resume();
      else pause = { instance, read, at };
    }
    if (!pause) throw new Error('could not freeze a lock holder between its read and its write');
    const paused = pause.instance;
    say(
      pause.at,
      `${paused.name} holds the lock (fencing token ${pause.read.token}), has read stock ${pause.read.stock}, and is frozen (SIGSTOP) mid-sale`,
    );

    const takeover = (await journal.wait(
      'another instance to take the lock over',
      (e) =>
        e.type === 'acquired' &&
        e.key === key &&
        e.token > pause.read.token! &&
        e.instance !== paused.name,
      { timeoutMs: 10 * ttlMs + 10_000, past: true },
    )) as Grant;
    say(
      takeover.t,
      `its lease ran out (ttl ${ttlMs} ms): ${takeover.instance} takes the lock over with token ${takeover.token}`,
    );

    // 2. Kill the next holder mid-sale. As with the freeze, a SIGKILL sent on seeing the read
    //    can land after the write went out: freeze the holder first, make sure it has not
    //    written, and only then kill it; if it had written, let it go and take the next sale.
    await waitForSales(soldSoFar() + Math.round(stock / 5));
    let doomedRead: Read | undefined;
    let doomed: Instance | undefined;
    for (let attempt = 0; attempt < 10 && !doomed; attempt++) {
      const read = (await journal.wait(
        'a sale by a holder still running',
        saleRead((name) => name !== paused.name),
        { timeoutMs: 30_000 },
      )) as Read;
      const instance = byName(read.instance);
      instance.pause();
      await sleep(200);
      const wrote = journal.find(
        (e) => e.type === 'write' && e.instance === instance.name && e.token === read.token,
      );
      if (wrote) {
        instance.resume();
        continue;
      }
      doomedRead = read;
      doomed = instance;
    }
    if (!doomed || !doomedRead)
      throw new Error('could not kill a lock holder between its read and its write');
    await doomed.kill();
    const killedAt = Date.now();
    const midSale = !journal.find(
      (e) => e.type === 'write' && e.instance === doomed.name && e.token === doomedRead.token,
    );
    say(
      killedAt,
      `${doomed.name} is killed (SIGKILL) ${midSale ? `mid-sale, holding token ${doomedRead.token}` : 'right after a sale'}`,
    );
    const afterKill = (await journal.wait(
      'the last instance to take the lock',
      (e) =>
        e.type === 'acquired' &&
        e.key === key &&
        e.token > doomedRead.token! &&
        e.instance !== paused.name &&
        e.instance !== doomed.name,
      { timeoutMs: 10 * ttlMs + 10_000, past: true },
    )) as Grant;
    say(
      afterKill.t,
      `${midSale ? 'its lease ran out' : 'the lock is free'}: ${afterKill.instance} carries on with token ${afterKill.token}`,
    );

    // 3. Sold out while the frozen one sleeps; then wake it.
    const soldOut = await journal.wait(
      'the stock to sell out',
      (e) => e.type === 'write' && e.productId === productId && e.accepted && e.stockAfter === 0,
      { timeoutMs: 60_000, past: true },
    );
    say(soldOut.t, 'sold out');
    await sleep(Math.max(0, pause.at + 2 * ttlMs - Date.now()));
    paused.resume();
    const resumedAt = Date.now();
    say(
      resumedAt,
      `${paused.name} wakes up (SIGCONT) after ${((resumedAt - pause.at) / 1000).toFixed(1)} s, still believing it holds token ${pause.read.token}`,
    );
    const write = (await journal.wait(
      `${paused.name}'s write`,
      (e) => e.type === 'write' && e.instance === paused.name && e.token === pause.read.token,
      { timeoutMs: 15_000, past: true },
    )) as Write;
    if (write.sentAt < pause.at) {
      // The SIGSTOP landed in the instant between sending the write and reporting it.
      throw new Error(
        `${paused.name} had sent its write before the SIGSTOP landed, so nothing stale was written; run it again`,
      );
    }
    // What the stock was when the stale write landed: the last accepted write before it.
    const stockBefore = stockLine(
      journal.entries.slice(0, journal.entries.indexOf(write)),
      productId,
      start,
      stock,
    ).at(-1)!.stock;
    const staleWrite: StaleWriteMark = {
      lane: paused.name,
      at: write.t,
      token: write.token!,
      accepted: write.accepted,
      lastToken: write.lastToken,
      stockBefore,
      stockAfter: write.stockAfter,
    };
    say(
      write.t,
      write.accepted
        ? `it writes stock ${write.stockAfter} over ${stockBefore}: ACCEPTED, ${write.stockAfter - stockBefore} sold items are back on sale`
        : `it writes stock ${write.stockAfter} with token ${write.token}: REFUSED, the stock has accepted token ${write.lastToken}`,
    );

    // Whatever the stale write put back is sold again; then the sale is over.
    for (;;) {
      const state = await json<StockState>(`${live().url}/products/${productId}/stock`);
      if (state.stock === 0) break;
      await sleep(100);
    }
    stopLoad.abort();
    const { outcomes, seconds } = await load;
    const state = await json<StockState>(`${live().url}/products/${productId}/stock`);
    const end = Date.now();

    const stale = journal.staleWrites(productId);
    const report = summarize(
      options.fencing ? 'fenced' : 'no fencing',
      stock,
      state,
      outcomes,
      seconds,
      { attempted: stale.length, rejected: stale.filter((w) => !w.accepted).length },
    );
    const pauseMark: PauseMark = {
      lane: paused.name,
      from: pause.at,
      to: resumedAt,
      token: pause.read.token!,
      stockRead: pause.read.stock,
    };
    const killMark: KillMark = {
      lane: doomed.name,
      at: killedAt,
      token: midSale ? doomedRead.token : undefined,
      midSale,
    };
    const mark = (grant: Grant): TakeoverMark => ({
      lane: grant.instance,
      at: grant.t,
      token: grant.token,
    });
    const timeline: TimelineRun = {
      title: options.fencing
        ? 'With fencing: the stock refuses a token older than the last it accepted'
        : 'Without fencing: the stock write ignores the token',
      fencing: options.fencing,
      start,
      end,
      ttlMs,
      initialStock: stock,
      oversold: report.oversold,
      lanes: instances.map((i) => ({ name: i.name, pid: i.pid })),
      holds: holdsOf(journal.entries, productId, killMark, end),
      pause: pauseMark,
      takeover: mark(takeover),
      kill: killMark,
      afterKill: mark(afterKill),
      staleWrites: [staleWrite],
      stock: stockLine(journal.entries, productId, start, stock),
    };
    const refusedAnswers = outcomes.filter(
      (o) => o.status === 409 && o.reason === 'stale-lock',
    ).length;
    return { report, timeline, staleWrite, refusedAnswers };
  } finally {
    await stopInstances(instances);
  }
}
