import type {
  AcquireReply,
  ExtendRequest,
  LeaseParams,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { monotonicNow } from '../../util/clock.util.js';
import {
  type Held,
  type MemoryKeyspace,
  type StoreAcquireReply,
  type StoreOwned,
  wrongType,
} from '../memory-keyspace.js';
import { MemoryLeaseDriver } from '../memory-lease-driver.js';
import { toAcquireReply } from '../memory-reply.util.js';

type Holders = Map<string, { weight: number; expiresAt: number }>;

/**
 * Semaphore permits in an `InMemoryLockStore`, with the semantics of the Redis semaphore
 * driver's scripts: each holder's permits expire on their own, the limit goes with the last
 * holder.
 * @internal
 */
export class MemorySemaphoreDriver extends MemoryLeaseDriver {
  constructor(
    space: MemoryKeyspace,
    private readonly keyPrefix: string,
  ) {
    super(space);
  }

  async acquire(
    keys: readonly string[],
    token: string,
    ttl: number,
    _owner: string,
    params?: LeaseParams,
  ): Promise<AcquireReply> {
    const { weight, limit } = params!;
    const answer = this.take(keys[0]!, token, weight, limit, ttl);
    return toAcquireReply(answer, keys[0]!.slice(this.keyPrefix.length), limit);
  }

  private take(
    key: string,
    token: string,
    weight: number,
    limit: number,
    ttl: number,
  ): StoreAcquireReply {
    const now = monotonicNow();
    const entry = this.space.live(key, now);
    if (entry && entry.held.type !== 'semaphore') throw wrongType(key, 'a semaphore');
    const held = entry?.held as Extract<Held, { type: 'semaphore' }> | undefined;
    if (held && held.limit !== limit) return { acquired: false, limitMismatch: held.limit };
    const holders: Holders = held?.holders ?? new Map();
    for (const [other, permit] of holders) if (permit.expiresAt <= now) holders.delete(other);
    let used = 0;
    for (const permit of holders.values()) used += permit.weight;
    const mine = holders.get(token);
    if (mine) {
      mine.expiresAt = now + ttl;
      this.keep(key, limit, holders);
      return { acquired: true, fencingToken: 0, passOn: limit - used > 0 };
    }
    if (used + weight > limit) {
      let earliest = Infinity;
      for (const permit of holders.values()) earliest = Math.min(earliest, permit.expiresAt);
      return {
        acquired: false,
        holderTtl: earliest === Infinity ? -1 : earliest - now,
        blockedBy: 0,
      };
    }
    holders.set(token, { weight, expiresAt: now + ttl });
    this.keep(key, limit, holders);
    return { acquired: true, fencingToken: 0, passOn: limit - used - weight > 0 };
  }

  protected extendOne({ redisKeys, token, ttl }: ExtendRequest): StoreOwned {
    const key = redisKeys[0]!;
    const now = monotonicNow();
    const held = this.space.live(key, now)?.held;
    if (held?.type !== 'semaphore') return 'expired';
    const permit = held.holders.get(token);
    if (!permit || permit.expiresAt <= now) return 'expired';
    permit.expiresAt = now + ttl;
    this.keep(key, held.limit, held.holders);
    return 'ok';
  }

  async release(keys: readonly string[], token: string): Promise<OwnedResult> {
    const { space } = this;
    const key = keys[0]!;
    const now = monotonicNow();
    const entry = space.live(key, now);
    if (entry && entry.held.type !== 'semaphore') throw wrongType(key, 'a semaphore');
    const permit = entry?.held.type === 'semaphore' ? entry.held.holders.get(token) : undefined;
    if (!entry || !permit) return space.releasedBefore(token, now) ? 'ok' : 'expired';
    const held = entry.held as Extract<Held, { type: 'semaphore' }>;
    held.holders.delete(token);
    let live = 0;
    for (const other of held.holders.values()) if (other.expiresAt > now) live++;
    // No holder left: the limit goes with them.
    if (live === 0) space.keys.delete(key);
    if (permit.expiresAt <= now) return 'expired';
    space.markReleased(token, now);
    space.publish(key, 'free');
    return 'ok';
  }

  /** The semaphore's key lives as long as its longest permit. */
  private keep(key: string, limit: number, holders: Holders): void {
    let last = 0;
    for (const permit of holders.values()) last = Math.max(last, permit.expiresAt);
    this.space.keys.set(key, { held: { type: 'semaphore', limit, holders }, expiresAt: last });
  }
}
