import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisServer } from '../redis-server.js';
import { machineNow } from './history.js';

/** One command Redis ran on a lock key, at machine time `at`. */
export interface RedisCommandRecord {
  readonly at: number;
  /** The command, or for a script a short name learned from its source when it was seen. */
  readonly name: string;
  readonly args: readonly string[];
}

/**
 * What Redis itself ran on the lock keys during a round, through MONITOR on a direct connection
 * (re-entered after each restart). For diagnosis only: when the oracle finds two holders of a
 * key, this says which commands set, extended or deleted that key around that time. Redis's
 * timestamps (its wall clock) are mapped to the machine's monotonic clock with one offset taken
 * at the start, so they are good to about a millisecond.
 */
export class RedisHistory {
  private readonly records: RedisCommandRecord[] = [];
  private readonly scriptNames = new Map<string, string>();
  private monitor: Redis | undefined;
  private client: Redis | undefined;
  private readonly offset = Date.now() - machineNow();
  private stopped = false;

  constructor(private readonly keyPrefix: string) {}

  async start(server: RedisServer): Promise<void> {
    this.client = server.client({ lazyConnect: true });
    await this.client.connect();
    this.monitor = await this.client.monitor();
    this.monitor.on('error', () => undefined);
    this.monitor.on('monitor', (time: string, args: string[], source: string) => {
      if (this.stopped || source === 'lua') return;
      this.record(Number(time) * 1_000 - this.offset, args);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.monitor?.disconnect();
    this.client?.disconnect();
  }

  /** Commands on `key` (without the prefix) between `from` and `to`, machine time. */
  around(key: string, from: number, to: number): RedisCommandRecord[] {
    const redisKey = this.keyPrefix + key;
    return this.records.filter(
      (record) => record.at >= from && record.at <= to && record.args.includes(redisKey),
    );
  }

  private record(at: number, args: string[]): void {
    const [command = '', ...rest] = args;
    const name = command.toLowerCase();
    if (name === 'eval' && rest[0]) {
      // Learn the script's name from its source, for the EVALSHA calls that follow.
      const sha = scriptSha(rest[0]);
      if (!this.scriptNames.has(sha)) this.scriptNames.set(sha, scriptName(rest[0], sha));
    }
    if (!rest.some((arg) => arg.startsWith(this.keyPrefix))) return;
    if (name === 'evalsha' || name === 'eval') {
      const sha = name === 'eval' ? scriptSha(rest[0]!) : rest[0]!;
      this.records.push({
        at,
        name: this.scriptNames.get(sha) ?? `script ${sha.slice(0, 8)}`,
        args: rest.slice(1),
      });
      return;
    }
    this.records.push({ at, name, args: rest });
  }
}

/**
 * The SHA1 Redis knows a script by, from its source as MONITOR shows it: MONITOR prints
 * arguments escaped (\n, \", \xHH...), which ioredis passes on as they are.
 */
function scriptSha(shown: string): string {
  const source = shown.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_all, escaped: string) => {
    if (escaped.length === 3) return String.fromCharCode(parseInt(escaped.slice(1), 16));
    return (
      ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[escaped] ??
      escaped
    );
  });
  return createHash('sha1').update(source, 'latin1').digest('hex');
}

/** A short name for a lock or semaphore script: what it does, read from its source. */
function scriptName(source: string, sha: string): string {
  // Semaphore scripts call what lock scripts call (TIME, HSET for the queue, PEXPIRE): tell them
  // apart first, by the helpers only they define.
  if (source.includes('local function dropPermits')) {
    if (source.includes('extendEach(')) return 'semaphore-extend';
    if (source.includes('markReleased(')) return 'semaphore-release';
    if (source.includes('ARGV[6]')) return 'semaphore-acquire';
    return 'semaphore-leave';
  }
  const calls = new Set([...source.matchAll(/redis\.call\('([A-Z]+)'/g)].map((m) => m[1]));
  if (calls.has('TIME') && calls.has('HSET')) return 'acquire-script';
  if (calls.has('DEL') && source.includes('ARGV[1]')) return 'release-script';
  if (calls.has('PEXPIRE') && !calls.has('HSET')) return 'extend-script';
  return `script ${sha.slice(0, 8)}`;
}
