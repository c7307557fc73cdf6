import type { FaultProxy } from '../fault-proxy.js';
import type { RedisServer } from '../redis-server.js';
import {
  blockEventLoop,
  cutConnections,
  delayFrames,
  dropOneReply,
  flushScripts,
  keepBusy,
  partition,
} from './fault-actions.js';
import { FAULT_GAPS, FAULT_KINDS, type FaultKind, type RoundFaults } from './fault-injector.js';
import { type FaultRecord, machineNow, type RestartRecord } from './history.js';
import { MasterFaultBudget } from './master-fault-budget.js';
import type { Random } from './random.js';

/** The masters of a quorum, each reached only through the proxy of the same index. */
export interface QuorumTargets {
  readonly masters: readonly RedisServer[];
  readonly proxies: readonly FaultProxy[];
  readonly keyPrefix: string;
  /**
   * How long a killed master stays down before it starts again empty: at least the longest
   * ttl any command of the round sets. Redlock's delayed restart (docs/guide/topologies.md,
   * "Restart a crashed master only after the longest ttl you use"): every lease the master
   * held when it died has ended, in its holder's belief, before the master can grant again.
   */
  readonly restartDelayMs: number;
}

/** What a quorum round injects: each fault on one master (see the budget), and client pauses. */
const KINDS: readonly FaultKind[] = [
  'latency',
  'drop-reply',
  'reset',
  'blackhole',
  'stall',
  'script-flush',
  'delayed-restart',
  'freeze',
  'pause',
];

/**
 * A master counts as faulted this much longer than its fault lasted: until delayed frames were
 * delivered, and clients whose connections were cut reconnected and resent what they had to.
 * Shorter, and the managers occasionally saw a third master not connected yet beside two under
 * a fault (LockBackendError "3 of 5 masters are not connected").
 */
const SETTLE_MS = 250;
/** After a restart: ioredis retries with a growing backoff, up to 450 ms after 1.75 s down. */
const RECONNECT_MS = 1_000;

/** Counts the lock keys of a master (not its fencing counters and marks, under `prefix#`). */
const COUNT_LOCKS_SCRIPT = `
local n = 0
for _, key in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do
  if string.sub(key, #ARGV[1] + 1, #ARGV[1] + 1) ~= '#' then n = n + 1 end
end
return n
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The faults of a quorum round, injected for real on the masters (killed, frozen, kept busy)
 * and on the network to each (through its proxy), never on a majority at once: each fault
 * claims its master from a budget of the largest minority, and gives it back once its effect
 * is over (a killed master once it is back).
 */
export class QuorumFaultInjector implements RoundFaults {
  readonly counts: Record<FaultKind, number> = Object.fromEntries(
    FAULT_KINDS.map((kind) => [kind, 0]),
  ) as Record<FaultKind, number>;
  readonly log: FaultRecord[] = [];
  /**
   * Always empty: the oracle excuses no overlap on a quorum. A killed master grants again only
   * once every lease it held has ended in its holder's belief (a lease is believed at most its
   * ttl past the command that last confirmed it on a majority), so what it forgot can no longer
   * make a second holder, whatever the other masters went through.
   */
  readonly restarts: RestartRecord[] = [];
  readonly kinds = KINDS;
  private readonly budget: MasterFaultBudget;
  private readonly frozen = new Set<RedisServer>();

  constructor(
    private readonly targets: QuorumTargets,
    private readonly rng: Random,
  ) {
    this.budget = new MasterFaultBudget(targets.masters.length);
  }

  /** Injects faults of every kind until `until` (machine ms), then heals everything. */
  async run(until: number): Promise<void> {
    try {
      await Promise.all(this.kinds.map((kind) => this.loop(kind, until)));
    } finally {
      this.healAll();
    }
  }

  private async loop(kind: FaultKind, until: number): Promise<void> {
    const rng = this.rng.fork(kind);
    const [min, max] = FAULT_GAPS[kind];
    // A killed master must be back, and reached again, before the quiet cool-down starts.
    const lastStart =
      kind === 'delayed-restart' ? until - this.targets.restartDelayMs - RECONNECT_MS - 500 : until;
    for (;;) {
      const gap = rng.int(min, max);
      if (machineNow() + gap >= lastStart) return;
      await sleep(gap);
      if (kind === 'pause') {
        // The client side: this process, not a master.
        this.record(kind, machineNow(), blockEventLoop(rng));
        continue;
      }
      const index = await this.budget.claim(rng, lastStart);
      if (index === undefined) return;
      const at = machineNow();
      try {
        const detail = await this.inject(kind, index, rng);
        if (detail !== undefined) this.record(kind, at, `master ${index}: ${detail}`);
      } finally {
        await sleep(kind === 'delayed-restart' ? RECONNECT_MS : SETTLE_MS);
        this.budget.release(index);
      }
    }
  }

  private record(kind: FaultKind, at: number, detail: string): void {
    this.counts[kind]++;
    this.log.push({ kind, at, detail });
  }

  /** Injects one fault on master `index`; what it did, or undefined if it could not. */
  private async inject(kind: FaultKind, index: number, rng: Random): Promise<string | undefined> {
    const proxy = this.targets.proxies[index]!;
    const master = this.targets.masters[index]!;
    switch (kind) {
      case 'latency':
        return delayFrames(proxy, rng);
      case 'drop-reply':
        return dropOneReply(proxy, rng);
      case 'reset':
        return cutConnections(proxy);
      case 'blackhole':
        return partition(proxy, rng);
      case 'stall':
        return keepBusy(master, rng);
      case 'script-flush':
        return flushScripts(master);
      case 'delayed-restart':
        return this.killAndRestart(master, index);
      case 'freeze': {
        const ms = rng.int(50, 1_200);
        this.frozen.add(master);
        master.pause();
        await sleep(ms);
        master.resume();
        this.frozen.delete(master);
        return `frozen (SIGSTOP) for ${ms} ms`;
      }
      default:
        return undefined;
    }
  }

  /** Kills the master, and starts it again, empty, once the longest ttl has passed. */
  private async killAndRestart(master: RedisServer, index: number): Promise<string> {
    let locks: string;
    try {
      locks = String(await master.command('EVAL', COUNT_LOCKS_SCRIPT, '0', this.targets.keyPrefix));
    } catch {
      locks = 'unknown';
    }
    await master.kill();
    const killedAt = machineNow();
    await sleep(this.targets.restartDelayMs);
    await master.restart();
    const down = machineNow() - killedAt;
    // Logged (not counted) when it is back too: an overlap report lists the faults of the second
    // before it, and the kill may be further back than that.
    this.log.push({
      kind: 'delayed-restart',
      at: machineNow(),
      detail: `master ${index}: back, empty, ${down.toFixed(0)} ms after it was killed`,
    });
    return `killed (SIGKILL) holding ${locks} lock keys, started again empty ${down.toFixed(0)} ms later`;
  }

  private healAll(): void {
    for (const proxy of this.targets.proxies) {
      proxy.setLatency({});
      proxy.cancelDrop();
      proxy.heal();
    }
    for (const master of this.frozen) master.resume();
    this.frozen.clear();
  }
}
