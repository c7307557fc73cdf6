import { Redis } from 'ioredis';
import { AcquireFailure } from '../../libraries/contender.js';
import { contenderById } from '../../libraries/registry.js';
import {
  commandSnapshot,
  commandsBetween,
  installCommandCounter,
  nameScripts,
  scriptNames,
  scriptSnapshot,
  type CommandCounts,
} from '../../support/command-counter.js';
import { monotonicMs, sleep, sleepUntil } from '../../support/time.js';
import type { FromWorker, RunMessage, Section, ToWorker } from './protocol.js';

/**
 * One process of the contention scenario, whose async workers compete for one lock with the
 * workers of the other processes. Either the process is one application instance (one
 * connection, one lock manager shared by its workers) or it hosts several (each worker with its
 * own connection and its own manager), as the run message says.
 * Usage (forked by the coordinator): node worker.js <redis port> <connections>
 */
installCommandCounter();
const port = Number(process.argv[2]);
const connectionCount = Number(process.argv[3] ?? 1);
// Opened once, kept for every run: a connection's start-up is not what is measured. A run with
// one manager per worker uses one per worker; a run with one manager per process uses the first.
const connections = Array.from(
  { length: connectionCount },
  () => new Redis({ host: '127.0.0.1', port }),
);

function send(message: FromWorker): void {
  process.send!(message);
}

/**
 * Holds the lock for at least `ms`, as work awaiting I/O would. A timer alone is not enough: in a
 * process whose event loop never sleeps (the spin floor's), setTimeout counts from a stale loop
 * clock and fires up to a few tenths of a millisecond early, which would hand the spinning floor
 * shorter critical sections than everyone else. The remainder is waited out on the monotonic clock.
 */
async function hold(since: number, ms: number): Promise<void> {
  await sleep(ms);
  while (monotonicMs() - since < ms) {
    // busy: less than a millisecond, and only when the timer fired early
  }
}

async function run(message: RunMessage): Promise<void> {
  // Fresh contenders per run, closed after it: what one library does when it starts or stops
  // (a subscriber connecting, or closing when idle) never lands in another library's window.
  // Their start-up falls in the warm-up, which the figures leave out.
  const spec = contenderById(message.contenderId);
  if (message.managers === 'worker' && message.workers > connections.length) {
    throw new Error(
      `${message.workers} workers with a manager each need as many connections, but this process has ${connections.length}`,
    );
  }
  const locks =
    message.managers === 'worker'
      ? connections.slice(0, message.workers).map((connection) => spec.create(connection))
      : [spec.create(connections[0]!)];
  const sections: Section[] = [];
  // When each acquire asked for in the window and answered only after it was: waits too (a
  // starved worker's wait never completes in the window). Every acquire is answered before the
  // results are sent (the workers' loops are awaited), so none is missed.
  const unanswered: number[] = [];
  const errors: string[] = [];
  let failures = 0;
  let before: CommandCounts = {};
  let scriptsBefore: CommandCounts = {};
  let commands: CommandCounts = {};
  let scripts: CommandCounts = {};
  const windowStart = setTimeout(() => {
    before = commandSnapshot();
    scriptsBefore = scriptSnapshot();
  }, message.measureFrom - monotonicMs());
  const windowEnd = new Promise<void>((resolve) =>
    setTimeout(() => {
      commands = commandsBetween(before, commandSnapshot());
      scripts = commandsBetween(scriptsBefore, scriptSnapshot());
      resolve();
    }, message.measureUntil - monotonicMs()),
  );

  async function work(worker: number): Promise<void> {
    const lock = locks[message.managers === 'worker' ? worker : 0]!;
    await sleepUntil(message.startAt);
    while (monotonicMs() < message.measureUntil && errors.length === 0) {
      const askedAt = monotonicMs();
      let held;
      try {
        held = await lock.acquire(message.key);
      } catch (error) {
        if (askedAt < message.measureUntil && monotonicMs() >= message.measureUntil) {
          unanswered.push(askedAt);
        }
        if (error instanceof AcquireFailure) {
          failures++;
          continue;
        }
        errors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
        return;
      }
      const acquiredAt = monotonicMs();
      if (askedAt < message.measureUntil && acquiredAt >= message.measureUntil) {
        unanswered.push(askedAt);
      }
      await hold(acquiredAt, message.holdMs);
      // Taken before the release is sent: the handoff gap is counted from here.
      const releasedAt = monotonicMs();
      try {
        await held.release();
      } catch (error) {
        errors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
        return;
      }
      sections.push([askedAt, acquiredAt, releasedAt, worker]);
      // Step back before competing again, so the lock can go to another worker; or, with no
      // pause, ask again at once, as a consumer loop does (no timer, not even a 0 ms one).
      if (message.pauseMs > 0) await sleep(message.pauseMs);
    }
  }

  await Promise.all(Array.from({ length: message.workers }, (_, i) => work(i)));
  clearTimeout(windowStart);
  await windowEnd;
  await Promise.all(locks.map((lock) => lock.close()));
  scripts = nameScripts(scripts, scriptNames(connections));
  send({ type: 'result', sections, unanswered, failures, commands, scripts, errors });
}

async function stop(): Promise<void> {
  await Promise.all(connections.map((connection) => connection.quit()));
  process.disconnect();
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'run') {
    run(message).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  } else if (message.type === 'stop') {
    void stop();
  }
});

Promise.all(
  connections.map(
    (connection) =>
      new Promise<void>((resolve, reject) => {
        connection.once('ready', resolve);
        connection.once('end', () => reject(new Error('a connection to Redis ended before ready')));
      }),
  ),
).then(
  () => send({ type: 'ready' }),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
