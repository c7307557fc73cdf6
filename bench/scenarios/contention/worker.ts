import { Redis } from 'ioredis';
import { AcquireFailure } from '../../libraries/contender.js';
import { contenderById } from '../../libraries/registry.js';
import {
  commandSnapshot,
  commandsBetween,
  installCommandCounter,
  type CommandCounts,
} from '../../support/command-counter.js';
import { monotonicMs, sleep, sleepUntil } from '../../support/time.js';
import type { FromWorker, RunMessage, Section, ToWorker } from './protocol.js';

/**
 * One process of the contention scenario: an application instance with one Redis connection,
 * whose async workers compete for one lock with the workers of the other processes.
 * Usage (forked by the coordinator): node worker.js <redis port>
 */
installCommandCounter();
const redis = new Redis({ host: '127.0.0.1', port: Number(process.argv[2]) });

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
  // A fresh contender per run, closed after it: what one library does when it starts or stops
  // (a subscriber connecting, or closing when idle) never lands in another library's window.
  // Its start-up falls in the warm-up, which the figures leave out.
  const lock = contenderById(message.contenderId).create(redis);
  const sections: Section[] = [];
  const errors: string[] = [];
  let failures = 0;
  let before: CommandCounts = {};
  let commands: CommandCounts = {};
  const windowStart = setTimeout(
    () => (before = commandSnapshot()),
    message.measureFrom - monotonicMs(),
  );
  const windowEnd = new Promise<void>((resolve) =>
    setTimeout(() => {
      commands = commandsBetween(before, commandSnapshot());
      resolve();
    }, message.measureUntil - monotonicMs()),
  );

  async function work(worker: number): Promise<void> {
    await sleepUntil(message.startAt);
    while (monotonicMs() < message.measureUntil && errors.length === 0) {
      const askedAt = monotonicMs();
      let held;
      try {
        held = await lock.acquire(message.key);
      } catch (error) {
        if (error instanceof AcquireFailure) {
          failures++;
          continue;
        }
        errors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
        return;
      }
      const acquiredAt = monotonicMs();
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
      // Step back before competing again, so the lock goes to another worker.
      await sleep(message.pauseMs);
    }
  }

  await Promise.all(Array.from({ length: message.workers }, (_, i) => work(i)));
  clearTimeout(windowStart);
  await windowEnd;
  await lock.close();
  send({ type: 'result', sections, failures, commands, errors });
}

async function stop(): Promise<void> {
  await redis.quit();
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

redis.once('ready', () => send({ type: 'ready' }));
