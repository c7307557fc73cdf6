import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ContenderSpec } from '../../libraries/contender.js';
import { rotation } from '../../support/rounds.js';
import { median, round } from '../../support/stats.js';
import { sleep } from '../../support/time.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import type { FromAgent, ToAgent } from './protocol.js';

export interface DeadWaiterParams {
  /** Trials per contender, interleaved. */
  readonly trials: number;
  /** Our engine's waiterTtl for this scenario; undefined keeps the engine's default. */
  readonly waiterTtlMs: number | undefined;
}

/**
 * The contenders measured: ours, whose waiters may queue in Redis (ours/tuned is ours/default),
 * and our semaphore, whose release hands a permit to the first queued waiter the same way.
 */
const MEASURED = ['ours/default', 'ours/fair', 'ours/barging', 'ours/semaphore'];

export type DeadWaiterFigures =
  | {
      readonly id: string;
      readonly measured: true;
      /** The engine's waiterTtl in this scenario: the ttl of a lock handed to a waiter until it confirms it. */
      readonly grantTtlMs: number;
      /** From the holder's release being sent to the next live waiter getting the lock, past a dead waiter. */
      readonly stallsMs: readonly number[];
      readonly stallMedianMs: number;
      readonly stallMaxMs: number;
      /** The same handoff with no dead waiter in between, in the same trial. */
      readonly handoffsMs: readonly number[];
      readonly handoffMedianMs: number;
      /** The keys of the lock in Redis while the two waiters waited (the lock key shown as <key>). */
      readonly keysWhileWaiting: readonly string[];
    }
  | { readonly id: string; readonly measured: false; readonly reason: string };

interface Trial {
  readonly stallMs: number;
  readonly handoffMs: number;
  readonly grantTtlMs: number;
  readonly keys: string[];
}

/** Lets subscriptions made by a waiter settle before the next step, as they would in an app. */
const SETTLE_MS = 100;
const STEP_LIMIT_MS = 15_000;

/** One forked agent process, and the messages it sent that nobody has taken yet. */
class Agent {
  private readonly inbox: FromAgent[] = [];
  private wake: (() => void) | undefined;
  private exited: string | undefined;
  waiterTtlMs: number | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: FromAgent) => {
      this.inbox.push(message);
      this.wake?.();
    });
    child.once('exit', (code, signal) => {
      this.exited = `exited (code ${code}, signal ${signal})`;
      this.wake?.();
    });
  }

  static async start(
    name: string,
    port: number,
    contenderId: string,
    waiterTtlMs: number | undefined,
  ): Promise<Agent> {
    const args = [String(port), contenderId, ...(waiterTtlMs ? [String(waiterTtlMs)] : [])];
    const child = fork(join(__dirname, 'agent.js'), args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const agent = new Agent(name, child);
    const ready = await agent.expect('ready', STEP_LIMIT_MS);
    agent.waiterTtlMs = ready.waiterTtlMs;
    return agent;
  }

  send(message: ToAgent): void {
    this.child.send(message);
  }

  /**
   * The next message of `type`; any other message first (or an error, or an exit) is a fault,
   * except those of the `skip` type.
   */
  async expect<T extends FromAgent['type']>(
    type: T,
    limitMs: number,
    skip?: FromAgent['type'],
  ): Promise<Extract<FromAgent, { type: T }>> {
    const giveUpAt = performance.now() + limitMs;
    for (;;) {
      const message = this.inbox.shift();
      if (message) {
        if (message.type === type) return message as Extract<FromAgent, { type: T }>;
        if (message.type === skip) continue;
        const detail = message.type === 'error' ? `: ${message.message}` : '';
        throw new Error(`${this.name} sent "${message.type}" while "${type}" was due${detail}`);
      }
      if (this.exited) throw new Error(`${this.name} ${this.exited} while "${type}" was due`);
      const left = giveUpAt - performance.now();
      if (left <= 0) throw new Error(`${this.name} sent no "${type}" within ${limitMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** SIGKILL: the process dies without a word, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    if (this.child.connected) this.send({ type: 'stop' });
    else this.child.kill('SIGKILL');
    await gone;
    clearTimeout(timer);
  }
}

async function take(agent: Agent, key: string): Promise<void> {
  agent.send({ type: 'acquire', key });
  // The lock is free: a "waiting" would only say the agent's check ran before its acquire returned.
  await agent.expect('acquired', STEP_LIMIT_MS, 'waiting');
}

async function queue(agent: Agent, key: string): Promise<void> {
  agent.send({ type: 'acquire', key });
  await agent.expect('waiting', STEP_LIMIT_MS);
}

/**
 * From the holder's release being sent to the waiter getting the lock; the waiter then releases.
 * A waiter that got the lock before the holder let go would be broken exclusion.
 */
async function handoff(holder: Agent, waiter: Agent, limitMs: number): Promise<number> {
  holder.send({ type: 'release' });
  const [released, acquired] = await Promise.all([
    holder.expect('released', STEP_LIMIT_MS),
    waiter.expect('acquired', limitMs),
  ]);
  if (acquired.acquiredAt < released.releasedAt) {
    throw new Error(
      `${waiter.name} got the lock ${(released.releasedAt - acquired.acquiredAt).toFixed(3)} ms before ${holder.name} released it: mutual exclusion broken`,
    );
  }
  waiter.send({ type: 'release' });
  await waiter.expect('released', STEP_LIMIT_MS);
  return acquired.acquiredAt - released.releasedAt;
}

async function runTrial(
  server: RedisServer,
  spec: ContenderSpec,
  params: DeadWaiterParams,
  trial: number,
): Promise<Trial> {
  const start = (name: string): Promise<Agent> =>
    Agent.start(name, server.port, spec.id, params.waiterTtlMs);
  const agents = await Promise.all([start('holder'), start('dead waiter'), start('next waiter')]);
  const [holder, dead, next] = agents;
  const permits = spec.permits ?? 1;
  /** The holder takes the lock, or every permit of the semaphore: whoever comes next waits. */
  const fill = async (key: string): Promise<void> => {
    for (let i = 0; i < permits; i++) await take(holder, key);
  };
  /** Gives back the permits the holder kept past a handoff of one. */
  const drain = async (): Promise<void> => {
    for (let i = 1; i < permits; i++) {
      holder.send({ type: 'release' });
      await holder.expect('released', STEP_LIMIT_MS);
    }
  };
  try {
    const grantTtlMs = holder.waiterTtlMs;
    if (grantTtlMs === undefined) throw new Error(`${spec.id} has no waiterTtl`);
    // Generous: a waiter that waits this long past a dead one is stuck, not slow.
    const stallLimitMs = 3 * grantTtlMs + STEP_LIMIT_MS;

    // The same handoff without a dead waiter: what the stall is compared with.
    const plainKey = `dw:${spec.id}:${trial}:plain`;
    await fill(plainKey);
    await queue(next, plainKey);
    await sleep(SETTLE_MS);
    const handoffMs = await handoff(holder, next, stallLimitMs);
    await drain();

    // The holder holds; the doomed waiter queues first, the next waiter behind it.
    const key = `dw:${spec.id}:${trial}:dead`;
    await fill(key);
    await queue(dead, key);
    await queue(next, key);
    await sleep(SETTLE_MS);
    const keys = ((await server.command('KEYS', `*${key}*`)) as string[])
      .map((k) => k.replace(key, '<key>'))
      .sort();
    // Killed with its place fresh, right before the release: the worst moment to die.
    await dead.kill();
    const stallMs = await handoff(holder, next, stallLimitMs);
    await drain();
    return { stallMs, handoffMs, grantTtlMs, keys };
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
  }
}

/**
 * Scenario 7: a dead waiter. A holder holds a lock (or every permit of a semaphore); a waiter in
 * another process waits for it (queued, where the lock has a queue), and a third process waits
 * behind it. The first waiter is
 * SIGKILLed with its place fresh, then the holder releases: how long does the live waiter wait
 * past the release (the stall)? A queued lock may hand the lock to the dead waiter, which never
 * confirms it; the grant then lasts its short ttl. Compared with the same handoff without a dead
 * waiter, measured in the same trial.
 */
export async function runDeadWaiter(
  server: RedisServer,
  specs: readonly ContenderSpec[],
  params: DeadWaiterParams,
): Promise<DeadWaiterFigures[]> {
  const measured = specs.filter((spec) => MEASURED.includes(spec.id));
  const trials = new Map<string, Trial[]>(measured.map((spec) => [spec.id, []]));
  for (let t = 0; t < params.trials; t++) {
    for (const spec of rotation(measured, t)) {
      trials.get(spec.id)!.push(await runTrial(server, spec, params, t));
    }
  }
  return specs.map((spec): DeadWaiterFigures => {
    const own = trials.get(spec.id);
    if (!own) return { id: spec.id, measured: false, reason: notMeasured(spec) };
    const stalls = own.map((t) => round(t.stallMs));
    const handoffs = own.map((t) => round(t.handoffMs));
    return {
      id: spec.id,
      measured: true,
      grantTtlMs: own[0]!.grantTtlMs,
      stallsMs: stalls,
      stallMedianMs: round(median(stalls)),
      stallMaxMs: Math.max(...stalls),
      handoffsMs: handoffs,
      handoffMedianMs: round(median(handoffs)),
      keysWhileWaiting: own[0]!.keys,
    };
  });
}

function notMeasured(spec: ContenderSpec): string {
  if (spec.library === 'ours' && spec.tuning === 'tuned')
    return 'the same lock as ours/default, with faster safety-net polling';
  if (spec.library === 'ours') return 'the same lock as ours/default, on another client library';
  if (spec.library === 'floor') return 'no queue: spins with SET NX; a dead spinner holds no place';
  return 'no queue: waiters poll with SET NX; a dead waiter holds no place and delays nobody';
}
