import type {
  AcquireReply,
  ExtendRequest,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { monotonicNow } from '../../util/clock.util.js';
import type { MemoryKeyspace, StoreAcquireReply, StoreOwned } from '../memory-keyspace.js';
import { type Head, keepPlace } from '../memory-queue.util.js';
import { MemoryLeaseDriver } from '../memory-lease-driver.js';
import { toAcquireReply } from '../memory-reply.util.js';
import { liveReaders } from './memory-read-write.util.js';

/**
 * The write side of read-write locks in an `InMemoryLockStore`, as the Redis write driver's
 * scripts do it: writers queue in arrival order, go first, and get fencing tokens.
 * @internal
 */
export class MemoryWriteDriver extends MemoryLeaseDriver {
  readonly addressed = true;

  constructor(
    space: MemoryKeyspace,
    /** How long a queued writer keeps its place without renewing it, in milliseconds. */
    private readonly placeTtl: number,
  ) {
    super(space);
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
    const { space } = this;
    const now = monotonicNow();
    const entry = space.live(key, now);
    const state = entry && space.asReadWrite(key, entry);
    if (state?.mode === 'w' && state.writer?.token === token) {
      entry!.expiresAt = now + ttl;
      return { acquired: true, fencingToken: state.writer.fence };
    }
    const readers = space.peekReaders(key);
    const count = liveReaders(readers, now);
    const head = space.head(space.writerQueues, key, now);
    if (state?.mode !== 'w' && count === 0 && (!head || head.token === token)) {
      space.leaveQueue(space.writerQueues, key, token);
      const fence = space.nextFence();
      space.readerSets.delete(key);
      space.keys.set(key, {
        held: { type: 'read-write', mode: 'w', writer: { token, fence, owner } },
        expiresAt: now + ttl,
      });
      return { acquired: true, fencingToken: fence };
    }
    let busyUntil: number | undefined;
    if (state?.mode === 'w') busyUntil = entry!.expiresAt;
    else if (count > 0) busyUntil = Math.max(...readers.values());
    if (waiter !== '') {
      keepPlace(space.queue(space.writerQueues, key), token, now, this.placeTtl, waiter, owner);
    }
    return this.refused(key, now, busyUntil, head);
  }

  /**
   * A queued acquire that did not get in is told when to look again: when the current holders'
   * lease ends (`busyUntil`), or, if the lock is free but an earlier writer goes first, when
   * that writer's place lapses; that writer is named again, as it may have missed the release.
   * Never later than a place renewal (a third of the place ttl).
   */
  private refused(
    key: string,
    now: number,
    busyUntil: number | undefined,
    head: Head | undefined,
  ): StoreAcquireReply {
    let until = busyUntil;
    if (until === undefined) {
      this.space.publish(key, `next:${head!.id}`);
      until = head!.placeUntil;
    }
    const renewEvery = Math.max(1, Math.floor(this.placeTtl / 3));
    return { acquired: false, holderTtl: Math.min(until - now, renewEvery), blockedBy: 0 };
  }

  protected extendOne({ redisKeys, token, ttl }: ExtendRequest): StoreOwned {
    const now = monotonicNow();
    const entry = this.space.live(redisKeys[0]!, now);
    if (!entry) return 'expired';
    const held = entry.held;
    if (held.type === 'read-write' && held.writer?.token === token) {
      entry.expiresAt = now + ttl;
      return 'ok';
    }
    return 'taken';
  }

  async release(keys: readonly string[], token: string): Promise<OwnedResult> {
    const { space } = this;
    const key = keys[0]!;
    const now = monotonicNow();
    const entry = space.live(key, now);
    const held = entry?.held;
    if (held?.type !== 'read-write' || held.writer?.token !== token) {
      if (space.releasedBefore(token, now)) return 'ok';
      return entry ? 'taken' : 'expired';
    }
    space.keys.delete(key);
    space.markReleased(token, now);
    // The next writer by name; with nobody queued, whoever waits without a place.
    const next = space.head(space.writerQueues, key, now);
    space.publish(key, next ? `next:${next.id}` : 'free');
    return 'ok';
  }

  async abandon(keys: readonly string[], token: string): Promise<void> {
    const { space } = this;
    const key = keys[0]!;
    const now = monotonicNow();
    space.leaveQueue(space.writerQueues, key, token);
    const head = space.head(space.writerQueues, key, now);
    const held = space.live(key, now)?.held;
    if (held?.type === 'read-write' && held.mode === 'w') return;
    if (!head) return space.publish(key, 'free');
    if (liveReaders(space.peekReaders(key), now) > 0) return;
    space.publish(key, `next:${head.id}`);
  }
}
