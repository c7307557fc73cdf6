import type {
  AcquireReply,
  ExtendRequest,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { monotonicNow } from '../../util/clock.util.js';
import type { StoreAcquireReply, StoreOwned } from '../memory-keyspace.js';
import { MemoryLeaseDriver } from '../memory-lease-driver.js';
import { toAcquireReply } from '../memory-reply.util.js';
import { keepReadState, liveReaders } from './memory-read-write.util.js';

/**
 * The read side of read-write locks in an `InMemoryLockStore`, as the Redis read driver's
 * scripts do it: readers share the lock unless a writer holds it or waits for it.
 * @internal
 */
export class MemoryReadDriver extends MemoryLeaseDriver {
  async acquire(keys: readonly string[], token: string, ttl: number): Promise<AcquireReply> {
    return toAcquireReply(this.take(keys[0]!, token, ttl), keys[0]!, 0);
  }

  private take(key: string, token: string, ttl: number): StoreAcquireReply {
    const { space } = this;
    const now = monotonicNow();
    const entry = space.live(key, now);
    const state = entry && space.asReadWrite(key, entry);
    if (state?.mode === 'w') {
      return { acquired: false, holderTtl: entry!.expiresAt - now, blockedBy: 0 };
    }
    const readers = space.peekReaders(key);
    const mine = readers.get(token);
    if (mine !== undefined && mine > now) {
      readers.set(token, now + ttl);
      keepReadState(space, key, readers);
      return { acquired: true, fencingToken: 0, passOn: true };
    }
    const count = liveReaders(readers, now);
    const head = space.head(space.writerQueues, key, now);
    if (head) {
      // A writer waits: it goes first. With nobody inside, it can go now.
      if (count === 0) {
        space.keys.delete(key);
        space.publish(key, `next:${head.id}`);
      }
      return { acquired: false, holderTtl: head.placeUntil - now, blockedBy: 0 };
    }
    space.readers(key).set(token, now + ttl);
    keepReadState(space, key, space.readers(key));
    return { acquired: true, fencingToken: 0, passOn: true };
  }

  protected extendOne({ redisKeys, token, ttl }: ExtendRequest): StoreOwned {
    const key = redisKeys[0]!;
    const now = monotonicNow();
    const readers = this.space.peekReaders(key);
    const expiresAt = readers.get(token);
    if (expiresAt === undefined || expiresAt <= now) return 'expired';
    readers.set(token, now + ttl);
    keepReadState(this.space, key, readers);
    return 'ok';
  }

  async release(keys: readonly string[], token: string): Promise<OwnedResult> {
    const { space } = this;
    const key = keys[0]!;
    const now = monotonicNow();
    const readers = space.peekReaders(key);
    const expiresAt = readers.get(token);
    if (expiresAt === undefined && space.releasedBefore(token, now)) return 'ok';
    readers.delete(token);
    if (expiresAt !== undefined && expiresAt > now) space.markReleased(token, now);
    if (liveReaders(readers, now) === 0) {
      space.readerSets.delete(key);
      const entry = space.live(key, now);
      if (entry?.held.type === 'read-write' && entry.held.mode === 'r') space.keys.delete(key);
      const head = space.head(space.writerQueues, key, now);
      if (head) space.publish(key, `next:${head.id}`);
    }
    return expiresAt !== undefined && expiresAt > now ? 'ok' : 'expired';
  }
}
