import { RELEASE_MARK_MS } from '../redis/lua/release-mark.lua.js';
import { monotonicNow } from '../util/clock.util.js';
import { type Head, type Queue, queueHead } from './memory-queue.util.js';

/** What a held key records, by primitive. @internal */
export type Held =
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

/** @internal */
export interface Entry {
  held: Held;
  /** Monotonic ms; Infinity for none. */
  expiresAt: number;
}

type Listener = (channel: string, message: string) => void;

/** Failures a Redis server would answer with an error reply (a key of another kind). */
class StoreReplyError extends Error {
  override readonly name = 'ReplyError';
}

/** @internal */
export function wrongType(key: string, what: string): Error {
  return new StoreReplyError(`WRONGTYPE ${key} exists and is not ${what} of this library`);
}

/** What Redis's PTTL answers for an entry: -1 for a key without expiry. @internal */
export function pttl(entry: Entry, now: number): number {
  return entry.expiresAt === Infinity ? -1 : entry.expiresAt - now;
}

/** @internal */
export type StoreAcquireReply =
  | { acquired: true; fencingToken: number; passOn?: boolean }
  | { acquired: false; holderTtl: number; blockedBy: number; holderFence?: number }
  | { acquired: false; limitMismatch: number };

/** @internal */
export type StoreOwned = 'ok' | 'expired' | 'taken';

/**
 * The state of an `InMemoryLockStore`: its keys with their expiry, the queues and readers kept
 * beside them, the release marks, the fencing counter and the announcement channels. What the
 * Redis keyspace is to the Redis drivers, this is to the in-memory ones: each primitive's
 * operations (in this folder, one per primitive) read and write it.
 * @internal
 */
export class MemoryKeyspace {
  readonly keys = new Map<string, Entry>();
  readonly readerSets = new Map<string, Map<string, number>>();
  readonly fairQueues = new Map<string, Queue>();
  readonly writerQueues = new Map<string, Queue>();
  readonly semaphoreQueues = new Map<string, Queue>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** token → until when its release is recognised (see release-mark.lua.ts). */
  private readonly releaseMarks = new Map<string, number>();
  private fence = 0;

  /** The next fencing token (one counter for the whole store). */
  nextFence(): number {
    return ++this.fence;
  }

  /** Number of keys held (expired ones dropped). */
  size(): number {
    const now = monotonicNow();
    let size = 0;
    for (const [key, entry] of this.keys) {
      if (entry.expiresAt > now) size++;
      else this.keys.delete(key);
    }
    return size;
  }

  /** Forgets every lock, queue, reader and release mark. */
  clear(): void {
    this.keys.clear();
    this.readerSets.clear();
    this.fairQueues.clear();
    this.writerQueues.clear();
    this.semaphoreQueues.clear();
    this.releaseMarks.clear();
  }

  // What PUBLISH and SUBSCRIBE do for Redis.

  subscribe(channel: string, listener: Listener): void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
  }

  unsubscribe(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel);
    set?.delete(listener);
    if (set?.size === 0) this.listeners.delete(channel);
  }

  publish(channel: string, message: string): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    // Like a message from Redis, it arrives after the reply of the command that sent it.
    for (const listener of [...set]) queueMicrotask(() => listener(channel, message));
  }

  markReleased(token: string, now: number): void {
    // Marks are added in the order they lapse: the lapsed ones are at the front.
    for (const [other, until] of this.releaseMarks) {
      if (until > now) break;
      this.releaseMarks.delete(other);
    }
    this.releaseMarks.set(token, now + RELEASE_MARK_MS);
  }

  releasedBefore(token: string, now: number): boolean {
    return (this.releaseMarks.get(token) ?? 0) > now;
  }

  /** The entry of a key, dropped when its ttl has run out (as Redis expires keys). */
  live(key: string, now: number): Entry | undefined {
    const entry = this.keys.get(key);
    if (entry && entry.expiresAt <= now) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }

  asLock(key: string, entry: Entry): Extract<Held, { type: 'lock' }> {
    if (entry.held.type !== 'lock') throw wrongType(key, 'a lock');
    return entry.held;
  }

  asReadWrite(key: string, entry: Entry): Extract<Held, { type: 'read-write' }> {
    if (entry.held.type !== 'read-write') throw wrongType(key, 'a read-write lock');
    return entry.held;
  }

  readers(key: string): Map<string, number> {
    let readers = this.readerSets.get(key);
    if (!readers) this.readerSets.set(key, (readers = new Map()));
    return readers;
  }

  peekReaders(key: string): Map<string, number> {
    return this.readerSets.get(key) ?? new Map<string, number>();
  }

  /** The head of a key's queue; a queue left with no live place is forgotten. */
  head(queues: Map<string, Queue>, key: string, now: number): Head | undefined {
    const queue = queues.get(key);
    if (!queue) return undefined;
    const head = queueHead(queue, now);
    if (!head && queue.places.size === 0) queues.delete(key);
    return head;
  }

  queue(queues: Map<string, Queue>, key: string): Queue {
    let queue = queues.get(key);
    if (!queue) queues.set(key, (queue = { next: 1, places: new Map() }));
    return queue;
  }

  leaveQueue(queues: Map<string, Queue>, key: string, token: string): void {
    const queue = queues.get(key);
    if (!queue) return;
    queue.places.delete(token);
    if (queue.places.size === 0) queues.delete(key);
  }
}

const spaces = new WeakMap<object, MemoryKeyspace>();

/**
 * The keyspace of a store, kept outside it so that the store's public surface is only what a
 * test uses.
 * @internal
 */
export function keyspaceOf(store: object): MemoryKeyspace {
  let space = spaces.get(store);
  if (!space) spaces.set(store, (space = new MemoryKeyspace()));
  return space;
}
