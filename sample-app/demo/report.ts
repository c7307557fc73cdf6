import type { StockState } from '../src/stock/stock-repository.interface';
import { percentile, type Outcome } from './load';

/** What one run of the sale came to: one column of the outcome table. */
export interface RunReport {
  readonly mode: string;
  readonly stock: number;
  readonly requests: number;
  /** Orders the shop recorded: what it would ship. */
  readonly sold: number;
  readonly stockLeft: number;
  readonly oversold: number;
  readonly duplicateIds: number;
  /** Requests without an answer (a killed instance) or with an error status. */
  readonly failed: number;
  readonly conserved: boolean;
  /** Writes by a holder whose lock had been taken over; undefined without the lock. */
  readonly staleAttempted?: number;
  /** Of those, refused by the fence. */
  readonly staleRejected?: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
}

export function summarize(
  mode: string,
  stock: number,
  state: StockState,
  outcomes: readonly Outcome[],
  seconds: number,
  stale?: { attempted: number; rejected: number },
): RunReport {
  const sold = state.orders.length;
  const latencies = outcomes.map((o) => o.ms);
  return {
    mode,
    stock,
    requests: outcomes.length,
    sold,
    stockLeft: state.stock,
    oversold: Math.max(0, sold - stock),
    duplicateIds: sold - new Set(state.orders).size,
    // A refused stale write is an answer (409, "try again"), counted in its own row.
    failed: outcomes.filter((o) => o.status === 0 || (o.status >= 400 && o.reason !== 'stale-lock'))
      .length,
    conserved: state.stock + sold === stock,
    staleAttempted: stale?.attempted,
    staleRejected: stale?.rejected,
    throughput: outcomes.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const dash = (value: number | undefined): string => (value === undefined ? '-' : String(value));

/** The rows of the outcome table, in order: the README shows the same. */
export const TABLE_ROWS: ReadonlyArray<readonly [string, (r: RunReport) => string]> = [
  ['requests', (r) => String(r.requests)],
  ['sold', (r) => String(r.sold)],
  ['stock left', (r) => String(r.stockLeft)],
  ['oversold', (r) => String(r.oversold)],
  ['duplicate order ids', (r) => String(r.duplicateIds)],
  ['stock + sold = initial', (r) => (r.conserved ? 'yes' : 'NO')],
  ['stale writes attempted', (r) => dash(r.staleAttempted)],
  ['stale writes rejected', (r) => dash(r.staleRejected)],
  ['failed requests', (r) => String(r.failed)],
  ['throughput (req/s)', (r) => r.throughput.toFixed(0)],
  ['latency p50 (ms)', (r) => r.p50.toFixed(1)],
  ['latency p99 (ms)', (r) => r.p99.toFixed(1)],
];

/** The outcome table, one column per run, as Markdown. */
export function table(reports: readonly RunReport[]): string {
  const width = Math.max(9, ...reports.map((r) => r.mode.length));
  const head = `| ${''.padEnd(24)} | ${reports.map((r) => r.mode.padStart(width)).join(' | ')} |`;
  const line = `|${'-'.repeat(26)}|${reports.map(() => '-'.repeat(width + 2)).join('|')}|`;
  const body = TABLE_ROWS.map(
    ([name, value]) =>
      `| ${name.padEnd(24)} | ${reports.map((r) => value(r).padStart(width)).join(' | ')} |`,
  );
  return [head, line, ...body].join('\n');
}
