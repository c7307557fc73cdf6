import type { ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import type { FaultProxy } from '../fault-proxy.js';
import type { RedisServer } from '../redis-server.js';
import { type FaultRecord, machineNow, type RestartRecord } from './history.js';
import {
  blockEventLoop,
  cutConnections,
  delayFrames,
  dropOneReply,
  flushScripts,
  keepBusy,
  partition,
} from './fault-actions.js';
import type { Random } from './random.js';

/**
 * The faults a chaos round injects:
 * - `latency`: a window of delayed (jittered) frames through one proxy, replies and sometimes
 *   commands;
 * - `drop-reply`: a command runs, its reply is lost with the connection, ioredis resends it;
 * - `reset`: every connection through one proxy is cut;
 * - `blackhole`: one proxy forwards nothing for a while (a partition), then delivers what it
 *   held or, sometimes, cuts the connections instead;
 * - `stall`: Redis is busy (DEBUG SLEEP, or a Lua script that spins) for tens to hundreds of ms;
 * - `restart`: Redis is killed and started again, empty (no persistence);
 * - `script-flush`: Redis forgets its scripts while the connections stay up (an operator's
 *   SCRIPT FLUSH, a proxy that switched servers): EVALSHA is refused with NOSCRIPT and resent
 *   as EVAL, later than it was sent;
 * - `sigstop`: a worker process is frozen (SIGSTOP) for a while, then resumed;
 * - `pause`: this process's event loop is blocked for a while, as a long GC pause would;
 * - `delayed-restart`: a quorum master is killed, and started again empty only once the
 *   longest ttl of the round has passed (Redlock's delayed restart);
 * - `freeze`: a quorum master is frozen (SIGSTOP) for a while, then resumed.
 */
export type FaultKind =
  | 'latency'
  | 'drop-reply'
  | 'reset'
  | 'blackhole'
  | 'stall'
  | 'restart'
  | 'script-flush'
  | 'sigstop'
  | 'pause'
  | 'delayed-restart'
  | 'freeze';

export const FAULT_KINDS: readonly FaultKind[] = [
  'latency',
  'drop-reply',
  'reset',
  'blackhole',
  'stall',
  'restart',
  'script-flush',
  'sigstop',
  'pause',
  'delayed-restart',
  'freeze',
];

/** What a round needs of the faults it injected: counts and log, and the restarts to excuse. */
export interface RoundFaults {
  readonly counts: Readonly<Record<FaultKind, number>>;
  readonly log: readonly FaultRecord[];
  /** Restarts whose forgotten leases the oracle excuses. */
  readonly restarts: readonly RestartRecord[];
  /** The kinds this round injects. */
  readonly kinds: readonly FaultKind[];
  run(until: number): Promise<void>;
}

/** What the faults act on; a kind whose target is missing is not injected. */
export interface FaultTargets {
  readonly proxies: readonly FaultProxy[];
  readonly server?: RedisServer;
  /** The lock keys' prefix, to read what Redis held before a restart. */
  readonly keyPrefix: string;
  readonly processes?: readonly ChildProcess[];
  /** Whether the code under test runs in this process (then `pause` applies). */
  readonly inProcess: boolean;
}

/** Pause between two faults of one kind, in ms: each kind runs its own loop. */
export const FAULT_GAPS: Record<FaultKind, readonly [number, number]> = {
  latency: [100, 900],
  'drop-reply': [150, 1_200],
  reset: [400, 2_000],
  blackhole: [300, 1_800],
  stall: [300, 1_600],
  restart: [1_200, 3_500],
  'script-flush': [300, 1_500],
  sigstop: [150, 1_000],
  pause: [300, 1_500],
  'delayed-restart': [500, 2_000],
  freeze: [150, 1_000],
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultInjector implements RoundFaults {
  readonly counts: Record<FaultKind, number> = Object.fromEntries(
    FAULT_KINDS.map((kind) => [kind, 0]),
  ) as Record<FaultKind, number>;
  readonly log: FaultRecord[] = [];
  readonly restarts: RestartRecord[] = [];
  readonly kinds: readonly FaultKind[];
  private readonly stopped = new Set<ChildProcess>();

  constructor(
    private readonly targets: FaultTargets,
    private readonly rng: Random,
  ) {
    this.kinds = FAULT_KINDS.filter((kind) => this.applies(kind));
  }

  /** Injects faults of every applicable kind until `until` (machine ms), then heals everything. */
  async run(until: number): Promise<void> {
    try {
      await Promise.all(this.kinds.map((kind) => this.loop(kind, until)));
    } finally {
      this.healAll();
    }
  }

  private applies(kind: FaultKind): boolean {
    const { proxies, server, processes, inProcess } = this.targets;
    switch (kind) {
      case 'latency':
      case 'drop-reply':
      case 'reset':
      case 'blackhole':
        return proxies.length > 0;
      case 'stall':
      case 'restart':
      case 'script-flush':
        return server !== undefined;
      case 'sigstop':
        return (processes?.length ?? 0) > 0;
      case 'pause':
        return inProcess;
      case 'delayed-restart':
      case 'freeze':
        return false;
    }
  }

  private async loop(kind: FaultKind, until: number): Promise<void> {
    const rng = this.rng.fork(kind);
    const [min, max] = FAULT_GAPS[kind];
    for (;;) {
      const gap = rng.int(min, max);
      if (machineNow() + gap >= until) return;
      await sleep(gap);
      const at = machineNow();
      const detail = await this.inject(kind, rng);
      if (detail === undefined) continue;
      this.counts[kind]++;
      this.log.push({ kind, at, detail });
    }
  }

  /** Injects one fault; returns what it did, or undefined when it could not be injected. */
  private async inject(kind: FaultKind, rng: Random): Promise<string | undefined> {
    const { proxies, server, processes } = this.targets;
    const onProxy = async (
      fault: (proxy: FaultProxy) => string | undefined | Promise<string | undefined>,
    ): Promise<string | undefined> => {
      const index = rng.int(0, proxies.length - 1);
      const detail = await fault(proxies[index]!);
      return detail === undefined ? undefined : `proxy ${index}: ${detail}`;
    };
    switch (kind) {
      case 'latency':
        return onProxy((proxy) => delayFrames(proxy, rng));
      case 'drop-reply':
        return onProxy((proxy) => dropOneReply(proxy, rng));
      case 'reset':
        return onProxy((proxy) => cutConnections(proxy));
      case 'blackhole':
        return onProxy((proxy) => partition(proxy, rng));
      case 'stall':
        return keepBusy(server!, rng);
      case 'restart':
        return this.restart();
      case 'script-flush':
        return flushScripts(server!);
      case 'sigstop': {
        const child = rng.pick(processes!);
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const ms = rng.int(50, 800);
        this.stopped.add(child);
        child.kill('SIGSTOP');
        await sleep(ms);
        child.kill('SIGCONT');
        this.stopped.delete(child);
        return `worker ${child.pid} frozen for ${ms} ms`;
      }
      case 'pause':
        return blockEventLoop(rng);
      case 'delayed-restart':
      case 'freeze':
        return undefined; // Quorum masters only (see quorum-fault-injector.ts).
    }
  }

  /**
   * Pauses writes (and expiry) on Redis, reads which locks it holds, then kills and restarts it:
   * the record says exactly which leases the restart made Redis forget.
   */
  private async restart(): Promise<string | undefined> {
    const server = this.targets.server!;
    const { keyPrefix } = this.targets;
    const admin = server.client({
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const held: string[] = [];
    let pausedAt: number;
    try {
      await admin.connect();
      await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
      pausedAt = machineNow();
      let cursor = '0';
      do {
        const [next, names] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
        cursor = next;
        const locks = names.filter((name) => !name.startsWith(`${keyPrefix}#`));
        const owners = await Promise.all(locks.map((name) => holdersOf(admin, name)));
        locks.forEach((name, i) => {
          for (const token of owners[i]!) held.push(`${name.slice(keyPrefix.length)}\n${token}`);
        });
      } while (cursor !== '0');
    } catch {
      return undefined; // Redis was already down (another restart): nothing to pause.
    } finally {
      admin.disconnect();
    }
    await server.restart();
    this.restarts.push({ pausedAt, upAt: machineNow(), held });
    return `Redis restarted, forgetting ${held.length} leases`;
  }

  private healAll(): void {
    for (const proxy of this.targets.proxies) {
      proxy.setLatency({});
      proxy.cancelDrop();
      proxy.heal();
    }
    for (const child of this.stopped) child.kill('SIGCONT');
    this.stopped.clear();
  }
}

/**
 * The owner tokens Redis holds under a key: a lock's, or those of a semaphore's holders whose
 * permits have not expired by the server's clock (an expired permit is gone for every script,
 * even while the member waits to be dropped).
 */
async function holdersOf(admin: Redis, name: string): Promise<string[]> {
  if ((await admin.type(name)) !== 'zset') {
    const token = await admin.hget(name, 't');
    return token ? [token] : [];
  }
  const [seconds, micros] = await admin.time();
  const now = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
  const members = await admin.zrangebyscore(name, `(${now}`, '+inf');
  return [...new Set(members.map((member) => member.slice(0, member.lastIndexOf(':'))))];
}
