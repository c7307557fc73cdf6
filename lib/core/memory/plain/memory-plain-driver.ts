import type {
  AcquireReply,
  ExtendRequest,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import type { RawLockInfo } from '../../backend/lock-backend.interface.js';
import { monotonicNow } from '../../util/clock.util.js';
import { pttl, type StoreOwned, wrongType } from '../memory-keyspace.js';
import { MemoryLeaseDriver } from '../memory-lease-driver.js';
import { toAcquireReply } from '../memory-reply.util.js';

/**
 * Plain locks (one or more keys, all or none) in an `InMemoryLockStore`, with the semantics of
 * the Redis plain driver's scripts. Fair locks share their keys (see memory-fair-driver.ts).
 * @internal
 */
export class MemoryPlainDriver extends MemoryLeaseDriver {
  async acquire(
    keys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    return toAcquireReply(this.takeNow(keys, token, ttl, owner), keys[0]!, 0);
  }

  /** One attempt, answered at once (`InMemoryLockStore.hold()` takes keys with it too). */
  takeNow(
    keys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ):
    | { acquired: true; fencingToken: number }
    | { acquired: false; holderTtl: number; blockedBy: number } {
    const { space } = this;
    const now = monotonicNow();
    let mine = 0;
    for (let i = 0; i < keys.length; i++) {
      const entry = space.live(keys[i]!, now);
      if (!entry) continue;
      const held = space.asLock(keys[i]!, entry);
      if (held.token === token) mine++;
      else return { acquired: false, holderTtl: pttl(entry, now), blockedBy: i };
    }
    if (mine === keys.length) {
      // The same acquisition again (as a resent command would be): success, same token.
      for (const key of keys) space.keys.get(key)!.expiresAt = now + ttl;
      const first = space.keys.get(keys[0]!)!.held as { fence: number };
      return { acquired: true, fencingToken: first.fence };
    }
    const fence = space.nextFence();
    for (const key of keys) {
      space.keys.set(key, { held: { type: 'lock', token, fence, owner }, expiresAt: now + ttl });
    }
    return { acquired: true, fencingToken: fence };
  }

  async release(keys: readonly string[], token: string): Promise<OwnedResult> {
    return this.releaseNow(keys, token);
  }

  /** The owner-checked release, answered at once. */
  releaseNow(keys: readonly string[], token: string): StoreOwned {
    const { space } = this;
    const now = monotonicNow();
    let result: StoreOwned = 'ok';
    let released = 0;
    for (const key of keys) {
      const held = space.live(key, now)?.held;
      // Redis's release reads the key as a hash: a semaphore's sorted set is a WRONGTYPE error
      // there, after the keys before it were released.
      if (held?.type === 'semaphore') throw wrongType(key, 'a lock');
      if (held?.type === 'lock' && held.token === token) {
        space.keys.delete(key);
        space.publish(key, String(held.fence));
        released++;
      } else if (held?.type === 'lock') {
        result = 'taken';
      } else if (result === 'ok') {
        result = 'expired';
      }
    }
    if (released > 0) space.markReleased(token, now);
    else if (result !== 'ok' && space.releasedBefore(token, now)) return 'ok';
    return result;
  }

  protected extendOne({ redisKeys, token, ttl }: ExtendRequest): StoreOwned {
    const now = monotonicNow();
    for (const key of redisKeys) {
      const held = this.space.live(key, now)?.held;
      // Redis's extend reads each key as a hash, up to the first it cannot extend: a
      // semaphore's sorted set is a WRONGTYPE error there.
      if (held?.type === 'semaphore') throw wrongType(key, 'a lock');
      if (held?.type !== 'lock') return 'expired';
      if (held.token !== token) return 'taken';
    }
    for (const key of redisKeys) this.space.keys.get(key)!.expiresAt = now + ttl;
    return 'ok';
  }

  /**
   * The renewal batch: Redis's script reads every key of every lock as a hash before it answers,
   * so one semaphore among them fails the whole batch with WRONGTYPE.
   */
  override async extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    const now = monotonicNow();
    for (const { redisKeys } of requests) {
      for (const key of redisKeys) {
        if (this.space.live(key, now)?.held.type === 'semaphore') throw wrongType(key, 'a lock');
      }
    }
    return super.extendMany(requests);
  }

  inspect(key: string): RawLockInfo {
    const now = monotonicNow();
    const entry = this.space.live(key, now);
    // Redis reads a lock's hash: a semaphore's sorted set is the wrong type of key.
    if (entry?.held.type === 'semaphore') throw wrongType(key, 'a lock');
    if (entry?.held.type !== 'lock') {
      return { held: false, ttl: null, fencingToken: null, owner: null };
    }
    const { fence, owner } = entry.held;
    return {
      held: true,
      // A key held without expiry (InMemoryLockStore.hold()) reads as Redis's PTTL answers.
      ttl: entry.expiresAt === Infinity ? -1 : Math.ceil(entry.expiresAt - now),
      fencingToken: fence,
      owner: owner || null,
    };
  }

  /** Deletes the lock whoever holds it (or only the holder with `fencingToken`). */
  forceRelease(key: string, fencingToken?: number): boolean {
    const entry = this.space.live(key, monotonicNow());
    if (entry?.held.type === 'semaphore') throw wrongType(key, 'a lock');
    if (entry?.held.type !== 'lock') return false;
    // Only the holder the operator looked at (as the Redis script checks the hash's `f`).
    if (fencingToken !== undefined && entry.held.fence !== fencingToken) return false;
    this.space.keys.delete(key);
    this.space.publish(key, 'released');
    return true;
  }

  /** The keys held by plain (or fair) locks, for `list()`. */
  heldKeys(): string[] {
    const now = monotonicNow();
    const found: string[] = [];
    for (const [key, entry] of this.space.keys) {
      if (entry.expiresAt > now && entry.held.type === 'lock') found.push(key);
    }
    return found;
  }
}
