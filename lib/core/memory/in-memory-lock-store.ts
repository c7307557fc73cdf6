import { RELEASE_MARK_MS } from '../scripts/release-mark.script.js';
import { monotonicNow } from '../util/clock.util.js';

/** What a held key records, by primitive. */
type Held =
  | {
      readonly type: 'lock';
      readonly token: string;
      readonly fence: number;
      readonly owner: string;
    }
  | {
      readonly type: 'read-write';
      readonly mode: 'r' | 'w';
      readonly writer?: { readonly token: string; readonly fence: number; readonly owner: string };
    }
  | {
      readonly type: 'semaphore';
      readonly limit: number;
      /** token → its permits and their expiry (monotonic ms). */
      readonly holders: Map<string, { weight: number; expiresAt: number }>;
    };

interface Entry {
  held: Held;
  /** Monotonic ms; Infinity for none. */
  expiresAt: number;
}

/** A first-come-first-served line of waiters, each keeping its place until `placeUntil`. */
interface Queue {
  next: number;
  readonly places: Map<string, Place>;
}

/** A waiter's place: its turn, until when it keeps it, its name in announcements, its owner. */
interface Place {
  readonly order: number;
  placeUntil: number;
  id: string;
  owner: string;
}

/** The first live waiter of a queue. */
type Head = Place & { readonly token: string };

type Listener = (channel: string, message: string) => void;

/** Failures a Redis server would answer with an error reply (a key of another kind). */
class StoreReplyError extends Error {
  override readonly name = 'ReplyError';
}

/** @internal */
export type StoreAcquireReply =
  | { acquired: true; fencingToken: number; passOn?: boolean }
  | { acquired: false; holderTtl: number; blockedBy: number; holderFence?: number }
  | { acquired: false; limitMismatch: number };

/** @internal */
export type StoreOwned = 'ok' | 'expired' | 'taken';

/**
 * Locks kept in this process's memory, with the semantics of the Redis scripts (owner checks,
 * ttl, fencing tokens, fair queues, semaphores, read-write locks and release announcements), for
 * tests of applications that should not need a Redis. Nothing leaves the process: two processes
 * (or two test workers) sharing "a lock" do not exclude each other.
 *
 * Give the same store to several `LockManager`s (or `RedisLockModule.forRoot({ inMemory: store })`)
 * to have them see the same locks, as instances sharing one Redis would.
 *
 * Time is the engine's monotonic clock (`performance.now()`), so test fake timers that also fake
 * `performance` move lock expiry along.
 * @example
 * const store = new InMemoryLockStore();
 * const a = new LockManager(store);
 * const b = new LockManager(store);
 * await a.acquire('job');
 * await b.tryAcquire('job'); // null: held by a
 * @publicApi
 */
export class InMemoryLockStore {
  /** The store `RedisLockModule.forRoot({ inMemory: true })` uses: one per module registry. */
  static readonly shared = new InMemoryLockStore();

  private readonly keys = new Map<string, Entry>();
  private readonly readerSets = new Map<string, Map<string, number>>();
  private readonly fairQueues = new Map<string, Queue>();
  private readonly writerQueues = new Map<string, Queue>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** token → until when its release is recognised (see release-mark.script.ts). */
  private readonly releaseMarks = new Map<string, number>();
  private fence = 0;

  /** Number of keys held (expired ones excluded): lets tests check nothing is left behind. */
  get size(): number {
    const now = monotonicNow();
    let size = 0;
    for (const [key, entry] of this.keys) {
      if (entry.expiresAt > now) size++;
      else this.keys.delete(key);
    }
    return size;
  }

  /** Forgets every lock, queue and permit (for a fresh start between tests). */
  clear(): void {
    this.keys.clear();
    this.readerSets.clear();
    this.fairQueues.clear();
    this.writerQueues.clear();
    this.releaseMarks.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Announcements (what PUBLISH does for Redis)

  /** @internal */
  subscribe(channel: string, listener: Listener): void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
  }

  /** @internal */
  unsubscribe(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel);
    set?.delete(listener);
    if (set?.size === 0) this.listeners.delete(channel);
  }

  private publish(channel: string, message: string): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    // Like a message from Redis, it arrives after the reply of the command that sent it.
    for (const listener of [...set]) queueMicrotask(() => listener(channel, message));
  }

  // -------------------------------------------------------------------------------------------
  // Plain locks (one or more keys, all or none)

  /** @internal */
  acquireLock(
    keys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): StoreAcquireReply {
    const now = monotonicNow();
    let mine = 0;
    for (let i = 0; i < keys.length; i++) {
      const entry = this.live(keys[i]!, now);
      if (!entry) continue;
      const held = this.asLock(keys[i]!, entry);
      if (held.token === token) mine++;
      else return { acquired: false, holderTtl: entry.expiresAt - now, blockedBy: i };
    }
    if (mine === keys.length) {
      // The same acquisition again (as a resent command would be): success, same token.
      for (const key of keys) this.keys.get(key)!.expiresAt = now + ttl;
      return {
        acquired: true,
        fencingToken: (this.keys.get(keys[0]!)!.held as { fence: number }).fence,
      };
    }
    const fence = ++this.fence;
    for (const key of keys) {
      this.keys.set(key, { held: { type: 'lock', token, fence, owner }, expiresAt: now + ttl });
    }
    return { acquired: true, fencingToken: fence };
  }

  /** @internal */
  releaseLock(keys: readonly string[], token: string): StoreOwned {
    const now = monotonicNow();
    let result: StoreOwned = 'ok';
    let released = 0;
    for (const key of keys) {
      const entry = this.live(key, now);
      const held = entry?.held;
      if (held?.type === 'lock' && held.token === token) {
        this.keys.delete(key);
        this.publish(key, String(held.fence));
        released++;
      } else if (held?.type === 'lock') {
        result = 'taken';
      } else if (result === 'ok') {
        result = 'expired';
      }
    }
    if (released > 0) this.markReleased(token, now);
    else if (result !== 'ok' && this.releasedBefore(token, now)) return 'ok';
    return result;
  }

  /** @internal */
  extendLock(keys: readonly string[], token: string, ttl: number): StoreOwned {
    const now = monotonicNow();
    for (const key of keys) {
      const held = this.live(key, now)?.held;
      if (held?.type !== 'lock') return 'expired';
      if (held.token !== token) return 'taken';
    }
    for (const key of keys) this.keys.get(key)!.expiresAt = now + ttl;
    return 'ok';
  }

  /** @internal */
  inspectLock(
    key: string,
  ): { held: true; ttl: number; fencingToken: number; owner: string | null } | { held: false } {
    const now = monotonicNow();
    const entry = this.live(key, now);
    // Redis reads a lock's hash: a semaphore's sorted set is the wrong type of key.
    if (entry?.held.type === 'semaphore') throw wrongType(key, 'a lock');
    if (entry?.held.type !== 'lock') return { held: false };
    const { fence, owner } = entry.held;
    return {
      held: true,
      ttl: Math.ceil(entry.expiresAt - now),
      fencingToken: fence,
      owner: owner || null,
    };
  }

  /** @internal */
  forceReleaseLock(key: string): boolean {
    const entry = this.live(key, monotonicNow());
    if (entry?.held.type === 'semaphore') throw wrongType(key, 'a lock');
    if (entry?.held.type !== 'lock') return false;
    this.keys.delete(key);
    this.publish(key, 'released');
    return true;
  }

  /** Keys held by plain (or fair) locks, for `list()`. @internal */
  heldLocks(): Array<{ key: string; ttl: number; fencingToken: number; owner: string | null }> {
    const now = monotonicNow();
    const found = [];
    for (const [key, entry] of this.keys) {
      if (entry.expiresAt <= now || entry.held.type !== 'lock') continue;
      found.push({
        key,
        ttl: Math.ceil(entry.expiresAt - now),
        fencingToken: entry.held.fence,
        owner: entry.held.owner || null,
      });
    }
    return found;
  }

  // -------------------------------------------------------------------------------------------
  // Fair locks: a plain lock plus a line of waiters

  /** @internal */
  acquireFair(
    key: string,
    token: string,
    ttl: number,
    owner: string,
    placeTtl: number,
    waiter: string,
  ): StoreAcquireReply {
    const now = monotonicNow();
    const entry = this.live(key, now);
    const held = entry && this.asLock(key, entry);
    if (held?.token === token) {
      // Granted by a release, or the same acquisition again: taken for the full ttl.
      entry!.expiresAt = now + ttl;
      return { acquired: true, fencingToken: held.fence };
    }
    if (!held) {
      const head = this.head(this.fairQueues, key, now);
      if (!head || head.token === token) {
        this.leaveQueue(this.fairQueues, key, token);
        const fence = ++this.fence;
        this.keys.set(key, { held: { type: 'lock', token, fence, owner }, expiresAt: now + ttl });
        return { acquired: true, fencingToken: fence };
      }
      // Free while others queue: the first of them gets it now, as a release would give it.
      this.grantToHead(key, now, placeTtl);
    }
    if (waiter !== '')
      keepPlace(this.queue(this.fairQueues, key), token, now, placeTtl, waiter, owner);
    const renewEvery = Math.max(1, Math.floor(placeTtl / 3));
    const holding = this.keys.get(key)!;
    return {
      acquired: false,
      holderTtl: Math.min(holding.expiresAt - now, renewEvery),
      blockedBy: 0,
      holderFence: holding.held.type === 'lock' ? holding.held.fence : 0,
    };
  }

  /** @internal */
  releaseFair(key: string, token: string, grantTtl: number): StoreOwned {
    const now = monotonicNow();
    const held = this.live(key, now)?.held;
    if (held?.type !== 'lock' || held.token !== token) {
      if (this.releasedBefore(token, now)) return 'ok';
      return held?.type === 'lock' ? 'taken' : 'expired';
    }
    this.markReleased(token, now);
    if (!this.grantToHead(key, now, grantTtl)) this.keys.delete(key);
    return 'ok';
  }

  /** @internal */
  leaveFair(key: string, token: string, grantTtl: number): void {
    const now = monotonicNow();
    this.leaveQueue(this.fairQueues, key, token);
    const held = this.live(key, now)?.held;
    if (held?.type === 'lock' && held.token !== token) return;
    if (held?.type === 'lock') {
      // Granted a moment before giving up: passed on to the next waiter.
      if (!this.grantToHead(key, now, grantTtl)) this.keys.delete(key);
      return;
    }
    this.grantToHead(key, now, grantTtl);
  }

  /**
   * Hands the lock on `key` to the first live waiter of its queue, with a fencing token, for
   * `grantTtl`, and announces the grant to it by name. Returns false when nobody waits.
   */
  private grantToHead(key: string, now: number, grantTtl: number): boolean {
    const head = this.head(this.fairQueues, key, now);
    if (!head) return false;
    this.leaveQueue(this.fairQueues, key, head.token);
    const fence = ++this.fence;
    this.keys.set(key, {
      held: { type: 'lock', token: head.token, fence, owner: head.owner },
      expiresAt: now + grantTtl,
    });
    this.publish(key, `grant:${head.id}:${fence}`);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Semaphores

  /** @internal */
  acquirePermits(
    key: string,
    token: string,
    weight: number,
    limit: number,
    ttl: number,
  ): StoreAcquireReply {
    const now = monotonicNow();
    const entry = this.live(key, now);
    if (entry && entry.held.type !== 'semaphore') throw wrongType(key, 'a semaphore');
    const held = entry?.held as Extract<Held, { type: 'semaphore' }> | undefined;
    if (held && held.limit !== limit) return { acquired: false, limitMismatch: held.limit };
    const holders = held?.holders ?? new Map<string, { weight: number; expiresAt: number }>();
    for (const [other, permit] of holders) if (permit.expiresAt <= now) holders.delete(other);
    let used = 0;
    for (const permit of holders.values()) used += permit.weight;
    const mine = holders.get(token);
    if (mine) {
      mine.expiresAt = now + ttl;
      this.keepSemaphore(key, limit, holders);
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
    this.keepSemaphore(key, limit, holders);
    return { acquired: true, fencingToken: 0, passOn: limit - used - weight > 0 };
  }

  /** @internal */
  extendPermits(key: string, token: string, ttl: number): StoreOwned {
    const now = monotonicNow();
    const entry = this.live(key, now);
    const permit = entry?.held.type === 'semaphore' ? entry.held.holders.get(token) : undefined;
    if (!permit || permit.expiresAt <= now) return 'expired';
    permit.expiresAt = now + ttl;
    this.keepSemaphore(
      key,
      (entry!.held as { limit: number }).limit,
      (entry!.held as { holders: Map<string, { weight: number; expiresAt: number }> }).holders,
    );
    return 'ok';
  }

  /** @internal */
  releasePermits(key: string, token: string): StoreOwned {
    const now = monotonicNow();
    const entry = this.live(key, now);
    if (entry && entry.held.type !== 'semaphore') throw wrongType(key, 'a semaphore');
    const permit = entry?.held.type === 'semaphore' ? entry.held.holders.get(token) : undefined;
    if (!entry || !permit) return this.releasedBefore(token, now) ? 'ok' : 'expired';
    const held = entry.held as Extract<Held, { type: 'semaphore' }>;
    held.holders.delete(token);
    let live = 0;
    for (const other of held.holders.values()) if (other.expiresAt > now) live++;
    // No holder left: the limit goes with them.
    if (live === 0) this.keys.delete(key);
    if (permit.expiresAt <= now) return 'expired';
    this.markReleased(token, now);
    this.publish(key, 'free');
    return 'ok';
  }

  private keepSemaphore(
    key: string,
    limit: number,
    holders: Map<string, { weight: number; expiresAt: number }>,
  ): void {
    let last = 0;
    for (const permit of holders.values()) last = Math.max(last, permit.expiresAt);
    this.keys.set(key, { held: { type: 'semaphore', limit, holders }, expiresAt: last });
  }

  // -------------------------------------------------------------------------------------------
  // Read-write locks: readers share it, writers queue and go first

  /** @internal */
  acquireRead(key: string, token: string, ttl: number): StoreAcquireReply {
    const now = monotonicNow();
    const entry = this.live(key, now);
    const state = entry && this.asReadWrite(key, entry);
    if (state?.mode === 'w')
      return { acquired: false, holderTtl: entry!.expiresAt - now, blockedBy: 0 };
    const readers = this.peekReaders(key);
    const mine = readers.get(token);
    if (mine !== undefined && mine > now) {
      readers.set(token, now + ttl);
      this.keepReadState(key, readers);
      return { acquired: true, fencingToken: 0, passOn: true };
    }
    const count = liveReaders(readers, now);
    const head = this.head(this.writerQueues, key, now);
    if (head) {
      // A writer waits: it goes first. With nobody inside, it can go now.
      if (count === 0) {
        this.keys.delete(key);
        this.publish(key, `next:${head.id}`);
      }
      return { acquired: false, holderTtl: head.placeUntil - now, blockedBy: 0 };
    }
    this.readers(key).set(token, now + ttl);
    this.keepReadState(key, this.readers(key));
    return { acquired: true, fencingToken: 0, passOn: true };
  }

  /** @internal */
  extendRead(key: string, token: string, ttl: number): StoreOwned {
    const now = monotonicNow();
    const readers = this.peekReaders(key);
    const expiresAt = readers.get(token);
    if (expiresAt === undefined || expiresAt <= now) return 'expired';
    readers.set(token, now + ttl);
    this.keepReadState(key, readers);
    return 'ok';
  }

  /** @internal */
  releaseRead(key: string, token: string): StoreOwned {
    const now = monotonicNow();
    const readers = this.peekReaders(key);
    const expiresAt = readers.get(token);
    if (expiresAt === undefined && this.releasedBefore(token, now)) return 'ok';
    readers.delete(token);
    if (expiresAt !== undefined && expiresAt > now) this.markReleased(token, now);
    if (liveReaders(readers, now) === 0) {
      this.readerSets.delete(key);
      const entry = this.live(key, now);
      if (entry?.held.type === 'read-write' && entry.held.mode === 'r') this.keys.delete(key);
      const head = this.head(this.writerQueues, key, now);
      if (head) this.publish(key, `next:${head.id}`);
    }
    return expiresAt !== undefined && expiresAt > now ? 'ok' : 'expired';
  }

  /** @internal */
  acquireWrite(
    key: string,
    token: string,
    ttl: number,
    owner: string,
    placeTtl: number,
    waiter: string,
  ): StoreAcquireReply {
    const now = monotonicNow();
    const entry = this.live(key, now);
    const state = entry && this.asReadWrite(key, entry);
    if (state?.mode === 'w' && state.writer?.token === token) {
      entry!.expiresAt = now + ttl;
      return { acquired: true, fencingToken: state.writer.fence };
    }
    const readers = this.peekReaders(key);
    const count = liveReaders(readers, now);
    const head = this.head(this.writerQueues, key, now);
    if (state?.mode !== 'w' && count === 0 && (!head || head.token === token)) {
      this.leaveQueue(this.writerQueues, key, token);
      const fence = ++this.fence;
      this.readerSets.delete(key);
      this.keys.set(key, {
        held: { type: 'read-write', mode: 'w', writer: { token, fence, owner } },
        expiresAt: now + ttl,
      });
      return { acquired: true, fencingToken: fence };
    }
    let busyUntil: number | undefined;
    if (state?.mode === 'w') busyUntil = entry!.expiresAt;
    else if (count > 0) busyUntil = Math.max(...readers.values());
    return this.refuseQueued(key, token, now, placeTtl, busyUntil, head, waiter, owner);
  }

  /** @internal */
  extendWrite(key: string, token: string, ttl: number): StoreOwned {
    const now = monotonicNow();
    const entry = this.live(key, now);
    if (!entry) return 'expired';
    const held = entry.held;
    if (held.type === 'read-write' && held.writer?.token === token) {
      entry.expiresAt = now + ttl;
      return 'ok';
    }
    return 'taken';
  }

  /** @internal */
  releaseWrite(key: string, token: string): StoreOwned {
    const now = monotonicNow();
    const entry = this.live(key, now);
    const held = entry?.held;
    if (held?.type !== 'read-write' || held.writer?.token !== token) {
      if (this.releasedBefore(token, now)) return 'ok';
      return entry ? 'taken' : 'expired';
    }
    this.keys.delete(key);
    this.markReleased(token, now);
    this.handOff(this.writerQueues, key, now);
    return 'ok';
  }

  /** @internal */
  leaveWrite(key: string, token: string): void {
    const now = monotonicNow();
    this.leaveQueue(this.writerQueues, key, token);
    const head = this.head(this.writerQueues, key, now);
    const held = this.live(key, now)?.held;
    if (held?.type === 'read-write' && held.mode === 'w') return;
    if (!head) return this.publish(key, 'free');
    if (liveReaders(this.peekReaders(key), now) > 0) return;
    this.publish(key, `next:${head.id}`);
  }

  private keepReadState(key: string, readers: Map<string, number>): void {
    let last = 0;
    for (const expiresAt of readers.values()) last = Math.max(last, expiresAt);
    this.keys.set(key, { held: { type: 'read-write', mode: 'r' }, expiresAt: last });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private markReleased(token: string, now: number): void {
    // Marks are added in the order they lapse: the lapsed ones are at the front.
    for (const [other, until] of this.releaseMarks) {
      if (until > now) break;
      this.releaseMarks.delete(other);
    }
    this.releaseMarks.set(token, now + RELEASE_MARK_MS);
  }

  private releasedBefore(token: string, now: number): boolean {
    return (this.releaseMarks.get(token) ?? 0) > now;
  }

  /** The entry of a key, dropped when its ttl has run out (as Redis expires keys). */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.keys.get(key);
    if (entry && entry.expiresAt <= now) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }

  private asLock(key: string, entry: Entry): Extract<Held, { type: 'lock' }> {
    if (entry.held.type !== 'lock') throw wrongType(key, 'a lock');
    return entry.held;
  }

  private asReadWrite(key: string, entry: Entry): Extract<Held, { type: 'read-write' }> {
    if (entry.held.type !== 'read-write') throw wrongType(key, 'a read-write lock');
    return entry.held;
  }

  private readers(key: string): Map<string, number> {
    let readers = this.readerSets.get(key);
    if (!readers) this.readerSets.set(key, (readers = new Map()));
    return readers;
  }

  private peekReaders(key: string): Map<string, number> {
    return this.readerSets.get(key) ?? new Map<string, number>();
  }

  /**
   * A queued acquire that did not get in keeps (or takes) its place and is told when to look
   * again: when the current holders' lease ends (`busyUntil`), or, if the lock is free but an
   * earlier waiter goes first, when that waiter's place lapses; that waiter is named again, as
   * it may have missed the release. Never later than a place renewal (a third of `placeTtl`).
   */
  private refuseQueued(
    key: string,
    token: string,
    now: number,
    placeTtl: number,
    busyUntil: number | undefined,
    head: Head | undefined,
    waiter: string,
    owner: string,
  ): StoreAcquireReply {
    if (waiter !== '')
      keepPlace(this.queue(this.writerQueues, key), token, now, placeTtl, waiter, owner);
    let until = busyUntil;
    if (until === undefined) {
      this.publish(key, `next:${head!.id}`);
      until = head!.placeUntil;
    }
    const renewEvery = Math.max(1, Math.floor(placeTtl / 3));
    return { acquired: false, holderTtl: Math.min(until - now, renewEvery), blockedBy: 0 };
  }

  /**
   * After a holder (or a waiter) left: names the first waiter of the queue, or, with nobody
   * queued, wakes whoever waits without a place.
   */
  private handOff(queues: Map<string, Queue>, key: string, now: number): void {
    const head = this.head(queues, key, now);
    this.publish(key, head ? `next:${head.id}` : 'free');
  }

  /** The head of a key's queue; a queue left with no live place is forgotten. */
  private head(queues: Map<string, Queue>, key: string, now: number): Head | undefined {
    const queue = queues.get(key);
    if (!queue) return undefined;
    const head = queueHead(queue, now);
    if (!head && queue.places.size === 0) queues.delete(key);
    return head;
  }

  private queue(queues: Map<string, Queue>, key: string): Queue {
    let queue = queues.get(key);
    if (!queue) queues.set(key, (queue = { next: 1, places: new Map() }));
    return queue;
  }

  private leaveQueue(queues: Map<string, Queue>, key: string, token: string): void {
    const queue = queues.get(key);
    if (!queue) return;
    queue.places.delete(token);
    if (queue.places.size === 0) queues.delete(key);
  }
}

function wrongType(key: string, what: string): StoreReplyError {
  return new StoreReplyError(`WRONGTYPE ${key} exists and is not ${what} of this library`);
}

/** The first waiter whose place has not expired; expired ones before it are dropped. */
function queueHead(queue: Queue, now: number): Head | undefined {
  let head: Head | undefined;
  for (const [token, place] of queue.places) {
    if (place.placeUntil <= now) continue;
    if (!head || place.order < head.order) head = { token, ...place };
  }
  // Places that expired before the head are gone for good (as the scripts drop them).
  for (const [token, place] of queue.places) {
    if (place.placeUntil <= now && (!head || place.order < head.order)) queue.places.delete(token);
  }
  return head;
}

function keepPlace(
  queue: Queue,
  token: string,
  now: number,
  placeTtl: number,
  id: string,
  owner: string,
): void {
  const place = queue.places.get(token);
  if (place) {
    place.placeUntil = now + placeTtl;
    place.id = id;
    place.owner = owner;
  } else {
    queue.places.set(token, { order: queue.next++, placeUntil: now + placeTtl, id, owner });
  }
}

function liveReaders(readers: Map<string, number>, now: number): number {
  let count = 0;
  for (const [token, expiresAt] of readers) {
    if (expiresAt > now) count++;
    else readers.delete(token);
  }
  return count;
}
