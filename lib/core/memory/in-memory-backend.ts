import type { PrimitiveDriverSet } from '../backend/lease-driver.interface.js';
import type {
  LockBackend,
  RawLockInfo,
  WakeupTransport,
} from '../backend/lock-backend.interface.js';
import type { LockHealth } from '../interfaces/lock-health.interface.js';
import { globToRegExp } from '../util/glob-to-regexp.util.js';
import { MemoryFairDriver } from './fair/memory-fair-driver.js';
import { InMemoryWakeupTransport } from './in-memory-wakeup-transport.js';
import type { MemoryKeyspace } from './memory-keyspace.js';
import { MemoryPlainDriver } from './plain/memory-plain-driver.js';
import { MemoryReadDriver } from './read-write/memory-read-driver.js';
import { MemoryWriteDriver } from './read-write/memory-write-driver.js';
import { MemorySemaphoreDriver } from './semaphore/memory-semaphore-driver.js';

/**
 * The lock engine's backend over an `InMemoryLockStore`: a driver per primitive, as on Redis,
 * giving the replies the Redis scripts give, computed in this process. Every operation
 * completes at once (a resolved promise).
 * @internal
 */
export class InMemoryBackend implements LockBackend {
  readonly plain: MemoryPlainDriver;
  readonly followsFailover = false;
  private drivers: PrimitiveDriverSet | undefined;

  constructor(
    private readonly space: MemoryKeyspace,
    private readonly keyPrefix: string,
    /** How long a queued waiter keeps its place without renewing it, in milliseconds. */
    private readonly placeTtl: number,
  ) {
    this.plain = new MemoryPlainDriver(space);
  }

  primitives(): PrimitiveDriverSet {
    this.drivers ??= {
      fair: new MemoryFairDriver(this.space, this.placeTtl, this.plain),
      semaphore: new MemorySemaphoreDriver(this.space, this.keyPrefix, this.placeTtl),
      read: new MemoryReadDriver(this.space),
      write: new MemoryWriteDriver(this.space, this.placeTtl),
    };
    return this.drivers;
  }

  async inspect(redisKey: string): Promise<RawLockInfo> {
    return this.plain.inspect(redisKey);
  }

  async forceRelease(redisKey: string, fencingToken?: number): Promise<boolean> {
    return this.plain.forceRelease(redisKey, fencingToken);
  }

  /** Pages of at most `count` names, as SCAN's hint asks of Redis. */
  async *scan(match: string, count: number): AsyncIterable<readonly string[]> {
    const pattern = globToRegExp(match);
    const names = this.plain.heldKeys().filter((key) => pattern.test(key));
    for (let start = 0; start < names.length; start += count) {
      yield names.slice(start, start + count);
    }
  }

  /** Every answer is immediate, so any `timeout` is met. */
  async probe(): Promise<LockHealth> {
    const node = { node: 'in-memory', up: true, roundTripMs: 0, scripts: true };
    return { topology: 'in-memory', healthy: true, nodes: [node] };
  }

  channelPattern(): string {
    return `${this.keyPrefix}*`;
  }

  createWakeupTransport(): WakeupTransport {
    return new InMemoryWakeupTransport(this.space);
  }

  isClosed(): boolean {
    return false;
  }

  unreachable(): undefined {
    return undefined;
  }
}
