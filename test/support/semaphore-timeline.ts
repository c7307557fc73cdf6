import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { mostAtOnce } from './intervals.js';

/** What one semaphore worker process did, from its output (times in ns, monotonic). */
export interface HolderLog {
  readonly worker: number;
  /** [start, end] of each wait; a wait cut short by a kill ends at the kill. */
  readonly waits: Array<[bigint, bigint]>;
  /** [grant, release] of each hold; a hold cut short by a kill ends at the kill. */
  readonly holds: Array<[bigint, bigint]>;
  /** When the process was killed, if it was. */
  killedAt?: bigint;
  /** Whether it was killed while holding a permit (its permit then lives on until its ttl). */
  killedHolding?: boolean;
}

interface RunningWorker {
  readonly child: ChildProcess;
  readonly log: HolderLog;
  /** releasing: said it gives the permit back, and has not said Redis took it back yet. */
  state: 'idle' | 'waiting' | 'holding' | 'releasing';
  since: bigint;
  stderr: string;
}

/**
 * Runs `workers` semaphore worker processes until `durationMs` has passed, killing (SIGKILL) a
 * random process that holds a permit every `killEveryMs` (until `killUntilMs` before the end)
 * and starting a fresh one in its place, so that there are always more workers than permits.
 * Returns every worker's log.
 */
export async function raceForPermits(options: {
  port: number;
  key: string;
  permits: number;
  ttl: number;
  workers: number;
  durationMs: number;
  killEveryMs?: number;
  /** No kill in the last this many ms of the run (the dead permit's expiry must be seen). */
  killUntilMs?: number;
  entry?: string;
}): Promise<HolderLog[]> {
  const endAt = Date.now() + options.durationMs;
  const logs: HolderLog[] = [];
  const running = new Set<RunningWorker>();
  const closed: Promise<void>[] = [];
  const failures: string[] = [];

  const start = (): void => {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, 'workers', 'semaphore-worker.cjs'),
        String(options.port),
        options.key,
        String(options.permits),
        String(options.ttl),
        String(endAt),
        options.entry ?? '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: HolderLog = { worker: logs.length, waits: [], holds: [] };
    logs.push(log);
    const worker: RunningWorker = { child, log, state: 'idle', since: 0n, stderr: '' };
    running.add(worker);
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [type, ns] = line.split(' ') as ['W' | 'G' | 'R' | 'F', string];
        const at = BigInt(ns);
        if (type === 'F') {
          // The release is done: what the worker does next starts with its next line.
          worker.state = 'idle';
          continue;
        }
        if (type === 'W') worker.state = 'waiting';
        else if (type === 'G') {
          log.waits.push([worker.since, at]);
          worker.state = 'holding';
        } else {
          log.holds.push([worker.since, at]);
          worker.state = 'releasing';
        }
        worker.since = at;
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (worker.stderr += chunk.toString()));
    closed.push(
      new Promise((resolve) =>
        // 'close' comes after the last output was read: the log is complete.
        child.once('close', (code, signal) => {
          running.delete(worker);
          if (log.killedAt !== undefined) {
            // What it was doing when it died ends at the kill.
            if (worker.state === 'holding') {
              log.holds.push([worker.since, log.killedAt]);
              log.killedHolding = true;
            } else if (worker.state === 'releasing') {
              // Killed between saying it releases and the release's reply (the parent reads
              // the pipe late on a loaded machine, so it picked a holder that had just begun to
              // release): the permit may still be in Redis, until its ttl.
              log.killedHolding = true;
            } else if (worker.state === 'waiting') {
              log.waits.push([worker.since, log.killedAt]);
            }
          } else if (code !== 0) {
            failures.push(`worker ${log.worker} exited with ${code ?? signal}: ${worker.stderr}`);
          }
          resolve();
        }),
      ),
    );
  };

  for (let i = 0; i < options.workers; i++) start();
  // Looks for a victim often, kills at most every killEveryMs.
  let lastKill = Date.now();
  const killer =
    options.killEveryMs === undefined
      ? undefined
      : setInterval(() => {
          const now = Date.now();
          if (now - lastKill < options.killEveryMs! || now > endAt - (options.killUntilMs ?? 0)) {
            return;
          }
          const holders = [...running].filter(
            (w) => w.state === 'holding' && w.log.killedAt === undefined,
          );
          const victim = holders[Math.floor(Math.random() * holders.length)];
          if (!victim) return;
          lastKill = now;
          victim.log.killedAt = process.hrtime.bigint();
          victim.child.kill('SIGKILL');
          start();
        }, 50);

  await new Promise((resolve) => setTimeout(resolve, options.durationMs));
  if (killer) clearInterval(killer);
  await Promise.all(closed);
  if (failures.length > 0) throw new Error(failures.join('\n'));
  return logs;
}

/** The most holders at any one time. */
export function maxConcurrency(logs: readonly HolderLog[]): number {
  return mostAtOnce(logs.flatMap((log) => log.holds));
}

/**
 * The periods in which a permit was free while callers waited for one: fewer than `permits`
 * holders worked, waiters were queued, and no killed holder's permit explains the gap. A killed
 * holder's permit stays in Redis until its ttl passes, so it counts as taken for `permitLifeMs`
 * after the kill. Returns each period with its length; short ones are hand-offs (a release, the
 * wakeup, the next grant), a long one means a permit stayed lost.
 */
export function idleWhileWaiting(
  logs: readonly HolderLog[],
  permits: number,
  permitLifeMs: number,
): Array<{ at: bigint; ms: number }> {
  type Counter = 'holders' | 'waiters' | 'dead';
  const events: Array<[bigint, Counter, number]> = [];
  const life = BigInt(Math.round(permitLifeMs * 1e6));
  for (const log of logs) {
    for (const [from, to] of log.holds) events.push([from, 'holders', 1], [to, 'holders', -1]);
    for (const [from, to] of log.waits) events.push([from, 'waiters', 1], [to, 'waiters', -1]);
    if (log.killedHolding) {
      events.push([log.killedAt!, 'dead', 1], [log.killedAt! + life, 'dead', -1]);
    }
  }
  events.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const counts = { holders: 0, waiters: 0, dead: 0 };
  const periods: Array<{ at: bigint; ms: number }> = [];
  let open: bigint | undefined;
  for (let i = 0; i < events.length; i++) {
    const [at, counter, delta] = events[i]!;
    counts[counter] += delta;
    if (i + 1 < events.length && events[i + 1]![0] === at) continue;
    const idle = counts.waiters > 0 && counts.holders + counts.dead < permits;
    if (idle && open === undefined) open = at;
    if (!idle && open !== undefined) {
      periods.push({ at: open, ms: Number(at - open) / 1e6 });
      open = undefined;
    }
  }
  return periods;
}
