import type { ChildProcess } from 'node:child_process';
import type { FaultProxy } from '../fault-proxy.js';
import type { RedisServer } from '../redis-server.js';
import { type FaultRecord, machineNow, type RestartRecord } from './history.js';
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
 * - `pause`: this process's event loop is blocked for a while, as a long GC pause would.
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
  | 'pause';

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
];

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
const GAPS: Record<FaultKind, readonly [number, number]> = {
  latency: [100, 900],
  'drop-reply': [150, 1_200],
  reset: [400, 2_000],
  blackhole: [300, 1_800],
  stall: [300, 1_600],
  restart: [1_200, 3_500],
  'script-flush': [300, 1_500],
  sigstop: [150, 1_000],
  pause: [300, 1_500],
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Lua script that keeps Redis busy for ARGV[1] ms (TIME advances inside scripts on 7.x). */
const SPIN_SCRIPT = `
local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat
  local now = redis.call('TIME')
until (now[1] * 1000000 + now[2]) - start >= tonumber(ARGV[1]) * 1000
return 1
`;

const SCRIPT_COMMANDS = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall']);

export class FaultInjector {
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
    }
  }

  private async loop(kind: FaultKind, until: number): Promise<void> {
    const rng = this.rng.fork(kind);
    const [min, max] = GAPS[kind];
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
    switch (kind) {
      case 'latency': {
        const index = rng.int(0, proxies.length - 1);
        const toClient = { ms: rng.int(5, 40), jitterMs: rng.int(0, 20) };
        const toServer = rng.chance(0.5)
          ? { ms: rng.int(2, 20), jitterMs: rng.int(0, 10) }
          : undefined;
        const windowMs = rng.int(200, 1_500);
        proxies[index]!.setLatency({ toClient, toServer });
        await sleep(windowMs);
        proxies[index]!.setLatency({});
        return `proxy ${index}: replies ${toClient.ms}+${toClient.jitterMs} ms${toServer ? `, commands ${toServer.ms}+${toServer.jitterMs} ms` : ''} for ${windowMs} ms`;
      }
      case 'drop-reply': {
        const index = rng.int(0, proxies.length - 1);
        const scriptsOnly = rng.chance(0.8);
        const dropped = proxies[index]!.dropReply(
          scriptsOnly ? (command) => SCRIPT_COMMANDS.has(command[0]!.toLowerCase()) : undefined,
        );
        let timer: NodeJS.Timeout | undefined;
        const command = await Promise.race([
          dropped,
          new Promise<undefined>(
            (resolve) => (timer = setTimeout(() => resolve(undefined), 1_000)),
          ),
        ]);
        clearTimeout(timer);
        proxies[index]!.cancelDrop();
        if (!command) return undefined;
        const args = command
          .slice(1, 4)
          .map((arg) => (arg.length > 48 ? `<${arg.length} bytes>` : arg))
          .join(' ');
        return `proxy ${index}: reply of ${command[0]} ${args} lost`;
      }
      case 'reset': {
        const index = rng.int(0, proxies.length - 1);
        const cut = proxies[index]!.resetConnections();
        return cut > 0 ? `proxy ${index}: ${cut} connections cut` : undefined;
      }
      case 'blackhole': {
        const index = rng.int(0, proxies.length - 1);
        const ms = rng.int(50, 700);
        const reset = rng.chance(0.3);
        proxies[index]!.blackhole();
        await sleep(ms);
        proxies[index]!.heal({ reset });
        return `proxy ${index}: partitioned for ${ms} ms${reset ? ', then connections cut' : ''}`;
      }
      case 'stall': {
        const ms = rng.int(30, 400);
        const debug = rng.chance(0.5);
        try {
          if (debug) await server!.command('DEBUG', 'SLEEP', String(ms / 1000));
          else await server!.command('EVAL', SPIN_SCRIPT, '0', String(ms));
        } catch {
          return undefined; // Redis was restarting.
        }
        return `Redis busy for ${ms} ms (${debug ? 'DEBUG SLEEP' : 'spinning script'})`;
      }
      case 'restart':
        return this.restart();
      case 'script-flush':
        try {
          await server!.command('SCRIPT', 'FLUSH');
        } catch {
          return undefined; // Redis was restarting.
        }
        return 'Redis forgot its scripts (SCRIPT FLUSH)';
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
      case 'pause': {
        const ms = rng.int(20, 300);
        const end = performance.now() + ms;
        while (performance.now() < end) {
          // Busy: nothing else in this process runs, as in a long GC pause.
        }
        return `event loop blocked for ${ms} ms`;
      }
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
        const tokens = await Promise.all(locks.map((name) => admin.hget(name, 't')));
        locks.forEach((name, i) => {
          if (tokens[i]) held.push(`${name.slice(keyPrefix.length)}\n${tokens[i]}`);
        });
      } while (cursor !== '0');
    } catch {
      return undefined; // Redis was already down (another restart): nothing to pause.
    } finally {
      admin.disconnect();
    }
    await server.restart();
    this.restarts.push({ pausedAt, upAt: machineNow(), held });
    return `Redis restarted, forgetting ${held.length} locks`;
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
