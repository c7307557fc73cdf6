import { SemaphoreLimitMismatchError } from '../errors/semaphore-limit-mismatch.error.js';
import type { LeaseDriver, LeaseParams } from '../backend/lease-driver.interface.js';
import type {
  AcquireReply,
  ExtendRequest,
  LockBackend,
  OwnedResult,
  RawLockInfo,
  WakeupTransport,
} from '../backend/lock-backend.interface.js';
import type { PrimitiveDriverSet } from '../backend/primitive-drivers.js';
import type { LockHealth } from '../interfaces/lock-health.interface.js';
import { globToRegExp } from '../util/glob-to-regexp.util.js';
import type { InMemoryLockStore, StoreAcquireReply } from './in-memory-lock-store.js';

/**
 * Release announcements inside the process: the store delivers them to the channels this
 * transport listens to, as a Redis pub/sub connection would.
 */
class InMemoryWakeupTransport implements WakeupTransport {
  private readonly channels = new Set<string>();
  private listener: ((channel: string, message: string) => void) | undefined;

  constructor(private readonly store: InMemoryLockStore) {}

  async subscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      if (this.channels.has(channel)) continue;
      this.channels.add(channel);
      this.store.subscribe(channel, this.deliver);
    }
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      this.channels.delete(channel);
      this.store.unsubscribe(channel, this.deliver);
    }
  }

  isReady(): boolean {
    return true;
  }

  listen(onMessage: (channel: string, message: string) => void): void {
    this.listener = onMessage;
  }

  async close(): Promise<void> {
    await this.unsubscribe([...this.channels]);
    this.listener = undefined;
  }

  private readonly deliver = (channel: string, message: string): void =>
    this.listener?.(channel, message);
}

function reply(answer: StoreAcquireReply, key: string, limit: number): AcquireReply {
  if ('limitMismatch' in answer) {
    throw new SemaphoreLimitMismatchError(key, limit, answer.limitMismatch);
  }
  return answer;
}

/**
 * The lock engine's backend over an `InMemoryLockStore`: the same replies the Redis scripts
 * give, computed in this process. Every operation completes at once (a resolved promise).
 * @internal
 */
export class InMemoryBackend implements LockBackend {
  private drivers: PrimitiveDriverSet | undefined;

  constructor(
    readonly store: InMemoryLockStore,
    private readonly keyPrefix: string,
    private readonly waiterTtl: number,
  ) {}

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    return reply(this.store.acquireLock(redisKeys, token, ttl, owner), redisKeys[0]!, 0);
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    return this.store.releaseLock(redisKeys, token);
  }

  async extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.store.extendLock(request.redisKeys, request.token, request.ttl);
  }

  async extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return requests.map((r) => this.store.extendLock(r.redisKeys, r.token, r.ttl));
  }

  async inspect(redisKey: string): Promise<RawLockInfo> {
    const info = this.store.inspectLock(redisKey);
    return info.held ? info : { held: false, ttl: null, fencingToken: null, owner: null };
  }

  async forceRelease(redisKey: string, fencingToken?: number): Promise<boolean> {
    if (fencingToken !== undefined) {
      // Only the holder the operator looked at (as the Redis script checks the hash's `f`).
      const holder = this.store.inspectLock(redisKey);
      if (!holder.held || holder.fencingToken !== fencingToken) return false;
    }
    return this.store.forceReleaseLock(redisKey);
  }

  async *scan(match: string): AsyncIterable<readonly string[]> {
    const pattern = globToRegExp(match);
    const names = this.store.heldLocks().flatMap(({ key }) => (pattern.test(key) ? [key] : []));
    if (names.length > 0) yield names;
  }

  async probe(): Promise<LockHealth> {
    const node = { node: 'in-memory', up: true, roundTripMs: 0, scripts: true };
    return { topology: 'in-memory', healthy: true, nodes: [node] };
  }

  channelFor(redisKey: string): string {
    return redisKey;
  }

  channelPattern(): string {
    return `${this.keyPrefix}*`;
  }

  createWakeupTransport(): WakeupTransport {
    return new InMemoryWakeupTransport(this.store);
  }

  isClosed(): boolean {
    return false;
  }

  readonly followsFailover = false;

  unreachable(): undefined {
    return undefined;
  }

  primitives(): PrimitiveDriverSet {
    return (this.drivers ??= this.createDrivers());
  }

  private createDrivers(): PrimitiveDriverSet {
    const { store, waiterTtl, keyPrefix } = this;
    const channelFor = (redisKey: string): string => redisKey;
    const fair: LeaseDriver = {
      addressed: true,
      grantTtl: waiterTtl,
      acquire: async (keys, token, ttl, owner, _params, waiter = '') =>
        reply(store.acquireFair(keys[0]!, token, ttl, owner, waiterTtl, waiter), keys[0]!, 0),
      release: async (keys, token) => store.releaseFair(keys[0]!, token, waiterTtl),
      abandon: async (keys, token) => store.leaveFair(keys[0]!, token, waiterTtl),
      extend: (request) => this.extend(request),
      extendMany: (requests) => this.extendMany(requests),
      channelFor,
    };
    const semaphore: LeaseDriver = {
      acquire: async (keys, token, ttl, _owner, params?: LeaseParams) =>
        reply(
          store.acquirePermits(keys[0]!, token, params!.weight, params!.limit, ttl),
          keys[0]!.slice(keyPrefix.length),
          params!.limit,
        ),
      release: async (keys, token) => store.releasePermits(keys[0]!, token),
      extend: async (r) => store.extendPermits(r.redisKeys[0]!, r.token, r.ttl),
      extendMany: async (requests) =>
        requests.map((r) => store.extendPermits(r.redisKeys[0]!, r.token, r.ttl)),
      channelFor,
    };
    const read: LeaseDriver = {
      acquire: async (keys, token, ttl) =>
        reply(store.acquireRead(keys[0]!, token, ttl), keys[0]!, 0),
      release: async (keys, token) => store.releaseRead(keys[0]!, token),
      extend: async (r) => store.extendRead(r.redisKeys[0]!, r.token, r.ttl),
      extendMany: async (requests) =>
        requests.map((r) => store.extendRead(r.redisKeys[0]!, r.token, r.ttl)),
      channelFor,
    };
    const write: LeaseDriver = {
      addressed: true,
      acquire: async (keys, token, ttl, owner, _params, waiter = '') =>
        reply(store.acquireWrite(keys[0]!, token, ttl, owner, waiterTtl, waiter), keys[0]!, 0),
      release: async (keys, token) => store.releaseWrite(keys[0]!, token),
      abandon: async (keys, token) => store.leaveWrite(keys[0]!, token),
      extend: async (r) => store.extendWrite(r.redisKeys[0]!, r.token, r.ttl),
      extendMany: async (requests) =>
        requests.map((r) => store.extendWrite(r.redisKeys[0]!, r.token, r.ttl)),
      channelFor,
    };
    return { fair, semaphore, read, write };
  }
}
