import type { ChildProcess } from 'node:child_process';
import {
  InvalidLockOptionsError,
  type LeaderElection,
  type LeaderTerm,
  LockLostError,
  LockManager,
  LockReleasedError,
} from '../../lib/core/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { forkWorker } from '../support/processes.js';
import { useRedisServer } from '../support/suites.js';
import { until } from '../support/until.js';

/** What every candidate of a test did, in the order this process saw it. */
type Entry = [candidate: string, what: 'elected' | 'revoked', fencingToken: number];

const TTL = 1_000;

/** A message of a worker, numbered in the order this process received it (from any worker). */
type Received = { type: string; seq: number } & Record<string, unknown>;
let received = 0;

/** A candidate process, and every message it sent since it started (none missed between awaits). */
interface ProcessCandidate {
  readonly worker: ChildProcess;
  next(type: string): Promise<Received>;
}

function inbox(worker: ChildProcess): ProcessCandidate['next'] {
  const unread: Received[] = [];
  const waiting: Array<{
    type: string;
    resolve: (m: Received) => void;
    reject: (e: Error) => void;
  }> = [];
  worker.on('message', (message: { type: string }) => {
    const entry = { ...message, seq: ++received } as Received;
    const i = waiting.findIndex((w) => w.type === entry.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(entry);
    else unread.push(entry);
  });
  worker.once('exit', (code, signal) => {
    for (const w of waiting.splice(0)) {
      w.reject(new Error(`worker exited (${code ?? signal}) before sending ${w.type}`));
    }
  });
  return (type) => {
    const i = unread.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(unread.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => waiting.push({ type, resolve, reject }));
  };
}

describe('LockManager.electLeader()', () => {
  const db = useRedisServer();
  let log: Entry[];
  let elections: LeaderElection[];
  let workers: ChildProcess[];

  beforeEach(async () => {
    await db.redis.flushall();
    log = [];
    elections = [];
    workers = [];
  });
  afterEach(async () => {
    for (const election of elections) await election.stop();
    for (const worker of workers) {
      if (worker.exitCode === null && worker.signalCode === null) {
        worker.kill('SIGCONT');
        worker.kill('SIGKILL');
        await new Promise((resolve) => worker.once('exit', resolve));
      }
    }
  });

  /** A candidate in this process, on a manager of its own. */
  function candidate(
    id: string,
    manager: LockManager = db.manager(),
    name = 'scheduler',
  ): LeaderElection {
    const election = manager.electLeader(name, {
      ttl: TTL,
      onElected: (_signal: AbortSignal, term: LeaderTerm) =>
        void log.push([id, 'elected', term.fencingToken]),
      onRevoked: (_reason: unknown, term: LeaderTerm) =>
        void log.push([id, 'revoked', term.fencingToken]),
    });
    elections.push(election);
    return election;
  }

  /** A candidate in a process of its own. */
  async function processCandidate(name = 'scheduler'): Promise<ProcessCandidate> {
    const worker = forkWorker('leader-worker.cjs', [String(db.server.port), name, String(TTL)]);
    workers.push(worker);
    const next = inbox(worker);
    await next('ready');
    return { worker, next };
  }

  const leaders = (candidates: LeaderElection[]): LeaderElection[] =>
    candidates.filter((c) => c.isLeader);

  it('elects exactly one of several candidates, which keeps leading while it renews', async () => {
    const candidates = ['a', 'b', 'c', 'd'].map((id) => candidate(id));
    await until(() => log.length === 1, 'an election');
    const [[winner, , token]] = log as [Entry];
    expect(leaders(candidates)).toHaveLength(1);
    const leader = leaders(candidates)[0]!;
    expect(leader.term).toMatchObject({ name: 'scheduler', fencingToken: token });
    // Several ttls later, after many renewals, still the same single leader.
    const renewals = await db.redis.pttl('lock:scheduler');
    await until(async () => (await db.redis.pttl('lock:scheduler')) > renewals, 'a renewal');
    await new Promise((resolve) => setTimeout(resolve, TTL * 3));
    expect(log).toEqual([[winner, 'elected', token]]);
    expect(leaders(candidates)).toEqual([leader]);
  });

  it('on stop(), the leader steps down (signal aborted, onRevoked) before the next one is elected, with a larger token', async () => {
    const a = candidate('a');
    await until(() => a.isLeader, 'a to lead');
    const term = a.term!;
    const b = candidate('b');
    await a.stop();
    expect(term.signal.aborted).toBe(true);
    expect(term.signal.reason).toBeInstanceOf(LockReleasedError);
    await until(() => b.isLeader, 'b to lead');
    expect(log.map(([id, what]) => `${id} ${what}`)).toEqual([
      'a elected',
      'a revoked',
      'b elected',
    ]);
    expect(log[2]![2]).toBeGreaterThan(log[0]![2]);
    expect(a.isLeader).toBe(false);
  });

  describe('a leader cut off from Redis (a partition)', () => {
    let proxy: FaultProxy;
    beforeEach(async () => {
      proxy = await startFaultProxy({ targetPort: db.server.port });
    });
    afterEach(async () => {
      proxy.heal({ reset: true });
      await proxy.close();
    });

    it('steps down when its renewals go unanswered, before another candidate is elected', async () => {
      const cutOff = db.server.client({ port: proxy.port });
      cutOff.on('error', () => undefined);
      const manager = new LockManager(cutOff);
      try {
        const a = candidate('a', manager);
        await until(() => a.isLeader, 'a to lead');
        const term = a.term!;
        const b = candidate('b');
        proxy.blackhole();
        await until(() => b.isLeader, 'b to lead', { timeoutMs: TTL + 5_000 });
        expect(term.signal.reason).toBeInstanceOf(LockLostError);
        // One process, one clock: a's term ended before b's began.
        expect(log.map(([id, what]) => `${id} ${what}`)).toEqual([
          'a elected',
          'a revoked',
          'b elected',
        ]);
        expect(log[2]![2]).toBeGreaterThan(log[0]![2]);
        proxy.heal({ reset: true });
        await a.stop();
      } finally {
        await manager.close();
        cutOff.disconnect();
      }
    });
  });

  it('moves leadership within the ttl when the leader process is killed', async () => {
    const { worker, next } = await processCandidate();
    const elected = await next('elected');
    const b = candidate('b');
    // b waits: the worker leads.
    await until(
      async () => (await db.redis.exists('lock:scheduler')) === 1,
      'the worker to hold the lock',
    );
    expect(b.isLeader).toBe(false);
    worker.kill('SIGKILL');
    // Within the ttl plus a handoff (and a generous margin for a loaded machine).
    await until(() => b.isLeader, 'b to lead after the kill', { timeoutMs: TTL + 5_000 });
    expect(b.term!.fencingToken).toBeGreaterThan(elected.fencingToken as number);
  });

  it('moves leadership when the leader process is frozen (SIGSTOP); once it runs again it learns its term ended, and its token is the older one', async () => {
    const { worker, next } = await processCandidate();
    const elected = await next('elected');
    const b = candidate('b');
    worker.kill('SIGSTOP');
    await until(() => b.isLeader, 'b to lead after the freeze', { timeoutMs: TTL + 5_000 });
    const revoked = next('revoked');
    worker.kill('SIGCONT');
    expect(await revoked).toEqual({
      type: 'revoked',
      seq: expect.any(Number),
      fencingToken: elected.fencingToken,
      reason: 'LockLostError',
      lostReason: expect.stringMatching(/^(expired|unconfirmed|taken)$/),
      isLeader: false,
    });
    expect(b.term!.fencingToken).toBeGreaterThan(elected.fencingToken as number);
    // b kept leading all along: the stale leader never took the lock back.
    expect(b.isLeader).toBe(true);
    expect(await db.redis.hget('lock:scheduler', 'f')).toBe(String(b.term!.fencingToken));
  });

  it('a leader process that stops gracefully steps down before another process is elected', async () => {
    const first = await processCandidate();
    const second = await processCandidate();
    const firstElected = first.next('elected');
    const secondElected = second.next('elected');
    const firstWon = await Promise.race([
      firstElected.then(() => true),
      secondElected.then(() => false),
    ]);
    const [winner, otherElected] = firstWon ? [first, secondElected] : [second, firstElected];
    winner.worker.send({ type: 'stop' });
    const [revoked, elected] = await Promise.all([winner.next('revoked'), otherElected]);
    // The old leader told its parent before it released the lock the new one then took.
    expect(revoked.seq).toBeLessThan(elected.seq);
    expect(elected.fencingToken).toBeGreaterThan(revoked.fencingToken as number);
  });

  it('keeps leading when onElected throws, and reports it', async () => {
    const errors: unknown[] = [];
    const election = db.manager().electLeader('failing', {
      onElected: () => {
        throw new Error('could not start');
      },
      onError: (error) => void errors.push(error),
    });
    elections.push(election);
    await until(() => errors.length === 1, 'the report');
    expect((errors[0] as Error).message).toBe('could not start');
    expect(election.isLeader).toBe(true);
  });

  it('stops campaigning when its signal aborts', async () => {
    const controller = new AbortController();
    const manager = db.manager();
    const election = manager.electLeader('signalled', {
      signal: controller.signal,
      onElected: () => undefined,
    });
    await until(() => election.isLeader, 'the election');
    controller.abort();
    await until(async () => (await db.redis.exists('lock:signalled')) === 0, 'the release');
    expect(election.isLeader).toBe(false);
  });

  it('refuses bad input before any Redis call', () => {
    const manager = db.manager();
    expect(() => manager.electLeader('', { onElected: () => undefined })).toThrow(
      InvalidLockOptionsError,
    );
    expect(() => manager.electLeader('x', {} as never)).toThrow(/needs onElected/);
    expect(() => manager.electLeader('x', { onElected: () => undefined, ttl: 1 })).toThrow(/ttl/);
    expect(() =>
      manager.electLeader('x', { onElected: () => undefined, onRevoked: 'no' as never }),
    ).toThrow(/onRevoked must be a function/);
    expect(() =>
      manager.electLeader('x', { onElected: () => undefined, lease: 1 } as never),
    ).toThrow(/Unknown electLeader\(\) option "lease"/);
  });
});
