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
import { keepPlace } from '../memory-queue.util.js';
import { toAcquireReply } from '../memory-reply.util.js';

type Holders = Map<string, { weight: number; expiresAt: number }>;
type SemaphoreHeld = Extract<Held, { type: 'semaphore' }>;

/**
 * Semaphore permits in an `InMemoryLockStore`, with the semantics of the Redis semaphore
 * driver's scripts: each holder's permits expire on their own, the limit goes with the last
 * holder, callers that wait queue, and a release hands the freed permits to the first of them
 * by name (a heavy head is never skipped).
 * @internal
 */
export class MemorySemaphoreDriver extends MemoryLeaseDriver {
  readonly addressed = true;

  constructor(
    space: MemoryKeyspace,
    private readonly keyPrefix: string,
    /** How long a queued waiter keeps its place; also the ttl of a grant until it is confirmed. */
    private readonly placeTtl: number,
  ) {
    super(space);
  }

  get grantTtl(): number {
    return this.placeTtl;
  }

  async acquire(
    keys: readonly string[],
    token: string,
    ttl: number,
    _owner: string,
    params?: LeaseParams,
    waiter = '',
  ): Promise<AcquireReply> {
    const { weight, limit } = params!;
    const answer = this.take(keys[0]!, token, weight, limit, ttl, waiter);
    return toAcquireReply(answer, keys[0]!.slice(this.keyPrefix.length), limit);
  }

  private take(
    key: string,
    token: string,
    weight: number,
    limit: number,
    ttl: number,
    waiter: string,
  ): StoreAcquireReply {
    const { space } = this;
    const now = monotonicNow();
    const held = this.held(key, now);
    if (held && held.limit !== limit) return { acquired: false, limitMismatch: held.limit };
    const holders: Holders = held?.holders ?? new Map();
    const taken = { acquired: true, fencingToken: 0 } as const;
    // Granted by a release, or the same acquisition again: taken for the full ttl.
    const renew = (): StoreAcquireReply => {
      holders.get(token)!.expiresAt = now + ttl;
      this.keep(key, limit, holders);
      return taken;
    };
    const add = (): StoreAcquireReply => {
      holders.set(token, { weight, expiresAt: now + ttl });
      this.keep(key, limit, holders);
      return taken;
    };
    dropExpired(holders, now);
    if (holders.has(token)) return renew();
    if (!space.semaphoreQueues.has(key)) {
      // Nobody queues: the uncontended path.
      if (inUse(holders) + weight <= limit) return add();
      if (waiter === '') return refused(holders, now);
    }
    // Free while others queue: the first of them get the permits now, as a release gives them.
    const used = this.grantQueued(key, limit, holders, now);
    if (holders.has(token)) return renew();
    if (!space.semaphoreQueues.has(key) && used + weight <= limit) return add();
    // A single attempt never gets in ahead of the queue, and never joins it.
    if (waiter === '') return refused(holders, now);
    const queue = space.queue(space.semaphoreQueues, key);
    // The place keeps the weight where a lock's queue keeps the owner label.
    keepPlace(queue, token, now, this.placeTtl, waiter, String(weight));
    const renewEvery = Math.max(1, Math.floor(this.placeTtl / 3));
    const expiry = earliestExpiry(holders, now);
    return {
      acquired: false,
      holderTtl: expiry < 0 || expiry > renewEvery ? renewEvery : expiry,
      blockedBy: 0,
      // A grant announced to this waiter from now on carries a larger number.
      holderFence: space.nextFence(),
    };
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
    const held = this.held(key, now);
    const permit = held?.holders.get(token);
    if (!held || !permit) return space.releasedBefore(token, now) ? 'ok' : 'expired';
    held.holders.delete(token);
    if (space.semaphoreQueues.has(key)) this.grantQueued(key, held.limit, held.holders, now);
    this.settle(key, held, now);
    if (permit.expiresAt <= now) return 'expired';
    space.markReleased(token, now);
    return 'ok';
  }

  /**
   * A waiter gave up: it leaves the queue, gives back permits granted to it a moment before, and
   * lets the waiters behind it have what is free now.
   */
  async abandon(keys: readonly string[], token: string): Promise<void> {
    const { space } = this;
    const key = keys[0]!;
    const now = monotonicNow();
    space.leaveQueue(space.semaphoreQueues, key, token);
    const entry = space.live(key, now);
    if (entry?.held.type !== 'semaphore') return;
    const held = entry.held;
    held.holders.delete(token);
    if (space.semaphoreQueues.has(key)) this.grantQueued(key, held.limit, held.holders, now);
    this.settle(key, held, now);
  }

  /** The semaphore on `key`, if any; a key of another kind is an error, as Redis's WRONGTYPE. */
  private held(key: string, now: number): SemaphoreHeld | undefined {
    const entry = this.space.live(key, now);
    if (entry && entry.held.type !== 'semaphore') throw wrongType(key, 'a semaphore');
    return entry?.held as SemaphoreHeld | undefined;
  }

  /**
   * Hands the free permits to the waiters at the head of the queue of `key`, in order, while the
   * head's weight fits, each grant announced to its waiter by name, until the waiter's place ends
   * (as the scripts grant them: see grant-queued.lua.ts). Returns the permits in use afterwards.
   */
  private grantQueued(key: string, limit: number, holders: Holders, now: number): number {
    const { space } = this;
    dropExpired(holders, now);
    let used = inUse(holders);
    let granted = false;
    while (used < limit) {
      const head = space.head(space.semaphoreQueues, key, now);
      if (!head) break;
      const weight = Number(head.owner);
      if (used + weight > limit) break;
      space.leaveQueue(space.semaphoreQueues, key, head.token);
      holders.set(head.token, { weight, expiresAt: head.placeUntil });
      used += weight;
      granted = true;
      space.publish(key, `grant:${head.id}:${space.nextFence()}`);
    }
    if (granted) this.keep(key, limit, holders);
    return used;
  }

  /** After permits left: the key goes with its last live holder, or lives as its longest. */
  private settle(key: string, held: SemaphoreHeld, now: number): void {
    let live = 0;
    for (const other of held.holders.values()) if (other.expiresAt > now) live++;
    // No holder left: the limit goes with them.
    if (live === 0) this.space.keys.delete(key);
    else this.keep(key, held.limit, held.holders);
  }

  /** The semaphore's key lives as long as its longest permit. */
  private keep(key: string, limit: number, holders: Holders): void {
    let last = 0;
    for (const permit of holders.values()) last = Math.max(last, permit.expiresAt);
    this.space.keys.set(key, { held: { type: 'semaphore', limit, holders }, expiresAt: last });
  }
}

function dropExpired(holders: Holders, now: number): void {
  for (const [token, permit] of holders) if (permit.expiresAt <= now) holders.delete(token);
}

function inUse(holders: Holders): number {
  let used = 0;
  for (const permit of holders.values()) used += permit.weight;
  return used;
}

/** Ms until the earliest permit expires; -1 when none is held. */
function earliestExpiry(holders: Holders, now: number): number {
  let earliest = Infinity;
  for (const permit of holders.values()) earliest = Math.min(earliest, permit.expiresAt);
  return earliest === Infinity ? -1 : earliest - now;
}

function refused(holders: Holders, now: number): StoreAcquireReply {
  return { acquired: false, holderTtl: earliestExpiry(holders, now), blockedBy: 0 };
}
