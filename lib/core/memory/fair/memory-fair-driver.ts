import type {
  AcquireReply,
  ExtendRequest,
  LeaseDriver,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { monotonicNow } from '../../util/clock.util.js';
import {
  type MemoryKeyspace,
  pttl,
  type StoreAcquireReply,
  wrongType,
} from '../memory-keyspace.js';
import { keepPlace } from '../memory-queue.util.js';
import { memoryChannel, toAcquireReply } from '../memory-reply.util.js';

/**
 * Fair locks in an `InMemoryLockStore`: a plain lock plus a line of waiters, handed from the
 * holder to the first waiter as the Redis fair driver's scripts do. Renewed as plain locks.
 * @internal
 */
export class MemoryFairDriver implements LeaseDriver {
  readonly addressed = true;
  readonly channelFor = memoryChannel;

  constructor(
    private readonly space: MemoryKeyspace,
    /** How long a queued waiter keeps its place; also the ttl of a grant until it is confirmed. */
    private readonly placeTtl: number,
    /** The plain locks' driver: a held fair lock is a plain lock. */
    private readonly plain: LeaseDriver,
  ) {}

  get grantTtl(): number {
    return this.placeTtl;
  }

  async acquire(
    keys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
    _params?: unknown,
    waiter = '',
  ): Promise<AcquireReply> {
    return toAcquireReply(this.take(keys[0]!, token, ttl, owner, waiter), keys[0]!, 0);
  }

  private take(
    key: string,
    token: string,
    ttl: number,
    owner: string,
    waiter: string,
  ): StoreAcquireReply {
    const { space, placeTtl } = this;
    const now = monotonicNow();
    const entry = space.live(key, now);
    const held = entry && space.asLock(key, entry);
    if (held?.token === token) {
      // Granted by a release, or the same acquisition again: taken for the full ttl.
      entry!.expiresAt = now + ttl;
      return { acquired: true, fencingToken: held.fence };
    }
    if (!held) {
      const head = space.head(space.fairQueues, key, now);
      if (!head || head.token === token) {
        space.leaveQueue(space.fairQueues, key, token);
        const fence = space.nextFence();
        space.keys.set(key, { held: { type: 'lock', token, fence, owner }, expiresAt: now + ttl });
        return { acquired: true, fencingToken: fence };
      }
      // Free while others queue: the first of them gets it now, as a release would give it.
      this.grantToHead(key, now);
    }
    if (waiter !== '') {
      keepPlace(space.queue(space.fairQueues, key), token, now, placeTtl, waiter, owner);
    }
    const renewEvery = Math.max(1, Math.floor(placeTtl / 3));
    const holding = space.keys.get(key)!;
    return {
      acquired: false,
      holderTtl: Math.min(pttl(holding, now), renewEvery),
      blockedBy: 0,
      // A grant announced to this waiter later carries a larger fencing token.
      holderFence: holding.held.type === 'lock' ? holding.held.fence : 0,
    };
  }

  async release(keys: readonly string[], token: string): Promise<OwnedResult> {
    const { space } = this;
    const key = keys[0]!;
    const now = monotonicNow();
    const held = space.live(key, now)?.held;
    // Redis's release reads the key as a hash: a semaphore's sorted set is WRONGTYPE there.
    if (held?.type === 'semaphore') throw wrongType(key, 'a lock');
    if (held?.type !== 'lock' || held.token !== token) {
      if (space.releasedBefore(token, now)) return 'ok';
      return held?.type === 'lock' ? 'taken' : 'expired';
    }
    space.markReleased(token, now);
    if (!this.grantToHead(key, now)) space.keys.delete(key);
    return 'ok';
  }

  async abandon(keys: readonly string[], token: string): Promise<void> {
    const { space } = this;
    const key = keys[0]!;
    const now = monotonicNow();
    space.leaveQueue(space.fairQueues, key, token);
    const held = space.live(key, now)?.held;
    if (held?.type === 'lock' && held.token !== token) return;
    if (held?.type === 'lock') {
      // Granted a moment before giving up: passed on to the next waiter.
      if (!this.grantToHead(key, now)) space.keys.delete(key);
      return;
    }
    this.grantToHead(key, now);
  }

  extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.plain.extend(request);
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return this.plain.extendMany(requests);
  }

  /**
   * Hands the lock on `key` to the first live waiter of its queue, with a fencing token, until
   * the waiter's place ends, and announces the grant to it by name. Returns false when nobody
   * waits.
   */
  private grantToHead(key: string, now: number): boolean {
    const { space } = this;
    const head = space.head(space.fairQueues, key, now);
    if (!head) return false;
    space.leaveQueue(space.fairQueues, key, head.token);
    const fence = space.nextFence();
    space.keys.set(key, {
      held: { type: 'lock', token: head.token, fence, owner: head.owner },
      // Until the waiter's place ends, as the scripts grant it (see hand-off.lua.ts).
      expiresAt: head.placeUntil,
    });
    space.publish(key, `grant:${head.id}:${fence}`);
    return true;
  }
}
