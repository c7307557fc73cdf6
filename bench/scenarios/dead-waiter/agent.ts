import { setImmediate as nextTurn } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Held } from '../../libraries/contender.js';
import { contenderById } from '../../libraries/registry.js';
import {
  commandSnapshot,
  commandsBetween,
  installCommandCounter,
  type CommandCounts,
} from '../../support/command-counter.js';
import { monotonicMs } from '../../support/time.js';
import type { FromAgent, ToAgent } from './protocol.js';

/**
 * One application instance of the dead-waiter scenario: one connection, one contender, driven
 * step by step by the coordinator, which may SIGKILL it while it waits. It holds one lock at a
 * time, or as many permits of a semaphore as it is told to take (a release gives back the last).
 * Usage (forked by the coordinator): node agent.js <redis port> <contender id> [waiterTtl ms]
 */
installCommandCounter();
const [portArg, contenderId, waiterTtlArg] = process.argv.slice(2);
const redis = new Redis({ host: '127.0.0.1', port: Number(portArg) });
const contender = contenderById(contenderId!).create(
  redis,
  waiterTtlArg ? { waiterTtl: Number(waiterTtlArg) } : undefined,
);
/** What the agent holds, the last taken last. */
const held: Held[] = [];

/** Commands that set up or probe a connection rather than try to take a lock. */
const NOT_AN_ATTEMPT = new Set([
  'subscribe',
  'ssubscribe',
  'psubscribe',
  'unsubscribe',
  'sunsubscribe',
  'punsubscribe',
  'ping',
  'info',
  'client',
  'hello',
  'select',
]);

/** Longest the first attempt may take to reach Redis: beyond it the library is stuck. */
const FIRST_ATTEMPT_LIMIT_MS = 10_000;

function send(message: FromAgent): void {
  process.send!(message);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function attempted(before: CommandCounts): boolean {
  return Object.keys(commandsBetween(before, commandSnapshot())).some(
    (name) => !NOT_AN_ATTEMPT.has(name),
  );
}

/**
 * Resolves once the first acquire attempt (a script or a SET on this connection) has been
 * executed by Redis: it waits for the attempt to be written, then for a PING written after it on
 * the same connection, which Redis answers only after the attempt. From then on the agent is a
 * waiter that Redis knows about (queued, for a library with a queue).
 */
async function firstAttemptDone(before: CommandCounts, pending: { done: boolean }): Promise<void> {
  const giveUpAt = monotonicMs() + FIRST_ATTEMPT_LIMIT_MS;
  while (!attempted(before) && !pending.done) {
    if (monotonicMs() > giveUpAt) throw new Error('the first acquire attempt was never sent');
    await nextTurn();
  }
  await redis.ping();
  // The acquire's own continuations of that reply run first: a lock it got is not "waiting".
  await nextTurn();
}

function acquire(key: string): void {
  const before = commandSnapshot();
  const pending = { done: false };
  contender.acquire(key).then(
    (lock) => {
      const acquiredAt = monotonicMs();
      pending.done = true;
      held.push(lock);
      send({ type: 'acquired', acquiredAt });
    },
    (error: unknown) => {
      pending.done = true;
      send({ type: 'error', message: `acquire(${key}) failed: ${describe(error)}` });
    },
  );
  firstAttemptDone(before, pending).then(
    () => {
      if (!pending.done) send({ type: 'waiting' });
    },
    (error: unknown) => send({ type: 'error', message: describe(error) }),
  );
}

async function release(): Promise<void> {
  const lock = held.pop();
  if (!lock) throw new Error('release without a held lock');
  // Taken before the release is sent, as in the contention scenario: the stall counts from here.
  const releasedAt = monotonicMs();
  await lock.release();
  send({ type: 'released', releasedAt });
}

async function stop(): Promise<void> {
  await contender.close();
  await redis.quit();
  process.disconnect();
}

process.on('message', (message: ToAgent) => {
  if (message.type === 'acquire') acquire(message.key);
  else if (message.type === 'release') {
    release().catch((error: unknown) => send({ type: 'error', message: describe(error) }));
  } else if (message.type === 'stop') void stop();
});

// Once on a key of its own, so the library's scripts are loaded on this connection: a waiter's
// first attempt is then one command, which the PING of firstAttemptDone() can follow.
redis.once('ready', () => {
  contender
    .acquire(`dw:warm:${process.pid}`)
    .then((lock) => lock.release())
    .then(
      () => send({ type: 'ready', waiterTtlMs: contender.waiterTtlMs }),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
});
