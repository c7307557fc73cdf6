import { runWorker } from './processes.js';

/** One critical section as a worker recorded it. */
export interface CriticalSection {
  readonly start: bigint;
  readonly end: bigint;
  readonly fencingToken: number;
  readonly pid: number;
  readonly worker: number;
}

/**
 * Runs `processes` OS processes × `workers` async workers racing for one lock for `durationMs`,
 * each doing a non-atomic GET-then-SET of a counter inside the lock, and returns every critical
 * section recorded (with a monotonic clock shared by all processes on the machine).
 */
export async function raceForLock(options: {
  /** One Redis, or the masters of a Redlock quorum. */
  port: number | readonly number[];
  key: string;
  processes: number;
  workers: number;
  durationMs: number;
  entry?: string;
  /** Where the counter lives; by default on the (first) lock server. */
  storePort?: number;
}): Promise<CriticalSection[]> {
  const ports = typeof options.port === 'number' ? [options.port] : options.port;
  const results = await Promise.all(
    Array.from({ length: options.processes }, () =>
      runWorker(
        'exclusion-worker.cjs',
        [
          ports.join(','),
          options.key,
          String(options.workers),
          String(options.durationMs),
          options.entry ?? '',
          options.storePort === undefined ? '' : String(options.storePort),
        ],
        options.durationMs + 60_000,
      ),
    ),
  );
  const sections: CriticalSection[] = [];
  for (const result of results) {
    if (result.code !== 0) {
      throw new Error(
        `exclusion worker failed (${result.code ?? result.signal}): ${result.stderr}`,
      );
    }
    for (const [start, end, fencingToken, pid, worker] of JSON.parse(result.stdout) as [
      string,
      string,
      number,
      number,
      number,
    ][]) {
      sections.push({ start: BigInt(start), end: BigInt(end), fencingToken, pid, worker });
    }
  }
  return sections.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * The sections that began before the one before them ended (the list is sorted by start), each
 * told with that one, so that a failure names the two holders.
 */
export function overlaps(sections: readonly CriticalSection[]): string[] {
  const tell = (s: CriticalSection): string =>
    `pid ${s.pid} worker ${s.worker} fencing token ${s.fencingToken} (${s.start}..${s.end} ns)`;
  const found: string[] = [];
  for (let i = 1; i < sections.length; i++) {
    if (sections[i]!.start < sections[i - 1]!.end) {
      found.push(`${tell(sections[i]!)} began inside ${tell(sections[i - 1]!)}`);
    }
  }
  return found;
}

/** Places where the fencing token does not increase in grant order. */
export function fencingRegressions(sections: readonly CriticalSection[]): number {
  let count = 0;
  for (let i = 1; i < sections.length; i++) {
    if (sections[i]!.fencingToken <= sections[i - 1]!.fencingToken) count++;
  }
  return count;
}
