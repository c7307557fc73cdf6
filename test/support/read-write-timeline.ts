import { Redis } from 'ioredis';
import { mostAtOnce } from './intervals.js';
import { runWorker } from './processes.js';
import { until } from './until.js';

/** One hold of a read-write lock as a worker recorded it (times in ns, monotonic). */
export interface Hold {
  readonly role: 'read' | 'write';
  readonly start: bigint;
  readonly end: bigint;
  /** The counter at the start and at the end of the hold. */
  readonly before: number;
  readonly after: number;
  readonly fencingToken: number;
  readonly pid: number;
}

/**
 * Runs reader and writer processes on one read-write lock until `durationMs` has passed and
 * returns every hold, sorted by start.
 */
export async function raceForReadWriteLock(options: {
  port: number;
  key: string;
  /** Processes × async workers of each role. */
  readers: [processes: number, workers: number];
  writers: [processes: number, workers: number];
  durationMs: number;
  readHoldMs: [min: number, max: number];
  writeHoldMs: [min: number, max: number];
  /** Longest pause of a writer between two holds (readers do not pause). */
  writePauseMs?: number;
  entry?: string;
}): Promise<Hold[]> {
  const spawnRole = (role: 'read' | 'write'): Promise<string>[] => {
    const [processes, workers] = role === 'read' ? options.readers : options.writers;
    const [min, max] = role === 'read' ? options.readHoldMs : options.writeHoldMs;
    return Array.from({ length: processes }, async () => {
      const result = await runWorker(
        'read-write-worker.cjs',
        [
          String(options.port),
          options.key,
          role,
          String(workers),
          String(min),
          String(max),
          String(role === 'write' ? (options.writePauseMs ?? 0) : 0),
          options.entry ?? '',
        ],
        options.durationMs + 60_000,
      );
      if (result.code !== 0) {
        throw new Error(
          `read-write worker failed (${result.code ?? result.signal}): ${result.stderr}`,
        );
      }
      return result.stdout;
    });
  };
  const running = [...spawnRole('read'), ...spawnRole('write')];
  const outputs = Promise.all(running);
  // A worker that fails before it reports in fails the run with its own error, not a timeout.
  await Promise.race([
    startTogether(options.port, options.key, running.length, options.durationMs),
    outputs,
  ]);
  const results = await outputs;
  const holds: Hold[] = [];
  for (const output of results) {
    for (const [role, start, end, before, after, fencingToken, pid] of JSON.parse(output) as [
      'read' | 'write',
      string,
      string,
      number,
      number,
      number,
      number,
    ][]) {
      holds.push({
        role,
        start: BigInt(start),
        end: BigInt(end),
        before,
        after,
        fencingToken,
        pid,
      });
    }
  }
  return holds.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * The start barrier of the worker processes: each one reports in once connected, then waits
 * for the end of the run. Only when all have reported is the run's end set, `durationMs` from
 * then, so that a process slow to start (a busy machine) still races with all the others for the
 * whole run, instead of finding it over.
 */
async function startTogether(
  port: number,
  key: string,
  processes: number,
  durationMs: number,
): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port });
  try {
    await until(
      async () => Number(await redis.get(`${key}:ready`)) >= processes,
      'the worker processes to start',
      { timeoutMs: 30_000 },
    );
    const endAt = Date.now() + durationMs;
    await redis.rpush(`${key}:go`, ...Array.from({ length: processes }, () => String(endAt)));
  } finally {
    redis.disconnect();
  }
}

/** Holds that overlap a write hold (another writer, or a reader). */
export function overlapsWithWriters(holds: readonly Hold[]): number {
  let count = 0;
  for (const write of holds.filter((h) => h.role === 'write')) {
    for (const other of holds) {
      if (other !== write && other.start < write.end && write.start < other.end) count++;
    }
  }
  return count;
}

/** The most readers holding at one time. */
export function maxReaders(holds: readonly Hold[]): number {
  return mostAtOnce(holds.filter((h) => h.role === 'read').map((h) => [h.start, h.end] as const));
}

/**
 * Gaps (in ms) in which no reader held the lock, between `from` and `to`: periods a writer
 * could have used without writers going first.
 */
export function readerGaps(holds: readonly Hold[], from: bigint, to: bigint): number[] {
  const reads = holds.filter((h) => h.role === 'read').sort((a, b) => (a.start < b.start ? -1 : 1));
  const gaps: number[] = [];
  let coveredUntil = from;
  for (const read of reads) {
    if (read.end <= coveredUntil) continue;
    if (read.start >= to) break;
    if (read.start > coveredUntil) gaps.push(Number(read.start - coveredUntil) / 1e6);
    coveredUntil = read.end;
  }
  if (coveredUntil < to) gaps.push(Number(to - coveredUntil) / 1e6);
  return gaps;
}
