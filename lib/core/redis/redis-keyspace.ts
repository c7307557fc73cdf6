import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import { escapeGlob } from '../util/escape-glob.util.js';
import { groupKeysBySlot, hasHashTag, keySlot, tagForSlot } from '../util/key-slot.util.js';

/**
 * Lock keys whose bookkeeping names each keyspace remembers, at most: the few in use right now.
 * Small on purpose. Most lock keys are used once (`order:<id>`), and names kept for thousands of
 * them outlive the young generation of V8's heap and are promoted, so that every lock of a
 * fresh key paid for the older generation's collections: 4,096 names cost about 5 µs of client
 * CPU per acquire + release on fresh keys (64 loops on one connection), a fifth of the call.
 * A name built again costs a CRC and a few concatenations.
 */
const NAMES_CACHE = 64;

/** The bookkeeping key names of one lock key, built on its first use. */
interface KeyNames {
  /** `{tag}` of its slot; undefined when a {hash tag} in the prefix puts every key in one slot. */
  readonly tag: string | undefined;
  /** The fencing counter of its slot. */
  readonly fence: string;
  /** The release marks' prefix: the token follows. */
  readonly markPrefix: string;
  /** `#<role>:` keys (a queue, the readers), built on first use, by role. */
  aux: Record<string, string> | undefined;
}

function isCrossSlot(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('CROSSSLOT');
}

/**
 * How the keys of one manager are named on one Redis client, and which of them one script may
 * touch together: the lock keys under the manager's prefix, the bookkeeping keys beside them
 * (fencing counters, queues, readers, release marks) pinned to their lock's slot, the slot
 * groups of a multi-key lock, and the wakeup channels. Every Redis driver works through it and
 * nothing else of the backend.
 * @internal
 */
export class RedisKeyspace {
  /** The client's own ioredis `keyPrefix`: Redis sees it in front of every key we name. */
  readonly clientPrefix: string;
  private readonly sharedFenceKey: string | undefined;
  private slotRules = false;
  private names = new Map<string, KeyNames>();

  constructor(
    /** The manager's `keyPrefix`. */
    readonly keyPrefix: string,
    clientPrefix: string,
    /** Whether the client is a Cluster client (scripts then touch one slot each). */
    readonly cluster: boolean,
  ) {
    this.clientPrefix = clientPrefix;
    const fullPrefix = clientPrefix + keyPrefix;
    // One fencing counter serves every lock that lives in the same slot, pinned to it with a
    // {tag}: a script never touches two slots, which a Cluster, and the proxies and managed
    // services that enforce its slot rules on a single endpoint, would refuse (CROSSSLOT). With
    // a {hash tag} in the prefix every key shares one slot, and one counter serves them all.
    if (hasHashTag(fullPrefix)) {
      this.sharedFenceKey = `${keyPrefix}#fence`;
    } else if (fullPrefix.includes('{')) {
      throw new InvalidLockOptionsError(
        'keyPrefix',
        `keyPrefix "${fullPrefix}" contains "{" without a complete {hash tag}; on a Cluster that would move keys to unexpected slots. Remove the brace or close the tag.`,
      );
    }
  }

  /**
   * Whether every script must keep to one slot: on a Cluster, and on a single endpoint once it
   * refused a script whose keys span slots (a proxy or managed service enforcing the Cluster's
   * slot rules, such as Azure Managed Redis with the Enterprise cluster policy). Until then a
   * multi-key lock takes its keys in one script and renewals batch locks of any slots.
   */
  get splitsBySlot(): boolean {
    return this.cluster || this.slotRules;
  }

  /**
   * Runs an operation; if the server refuses it for spanning slots (nothing was run), switches
   * to one slot per script for good and runs it again.
   */
  async keepingSlotRules<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (this.splitsBySlot || !isCrossSlot(error)) throw error;
      this.slotRules = true;
      return run();
    }
  }

  /** The lock's keys in the groups one script can take: one group unless a Cluster splits them. */
  groups(redisKeys: readonly string[]): readonly (readonly string[])[] {
    if (!this.splitsBySlot || this.sharedFenceKey !== undefined || redisKeys.length < 2) {
      return [redisKeys];
    }
    return groupKeysBySlot(redisKeys, this.clientPrefix);
  }

  /**
   * The bookkeeping names of `redisKey`, each pinned to its slot with a `{tag}`. Remembered for
   * the keys in use: every operation of a lock names two to four of them (fencing counter,
   * queue, release mark), and a CRC and a concatenation per name add up.
   */
  private namesOf(redisKey: string): KeyNames {
    let names = this.names.get(redisKey);
    if (names === undefined) {
      // A new Map, not clear(): clear() leaves the old table in place for V8 to collect, and
      // once that table has grown old its references kept every name in it alive through the
      // young generation's collections (the names were promoted, then collected by full
      // collections: about 4 µs of client CPU per acquire + release on fresh keys).
      if (this.names.size >= NAMES_CACHE) this.names = new Map();
      const { keyPrefix, sharedFenceKey } = this;
      const tag =
        sharedFenceKey === undefined
          ? `{${tagForSlot(keySlot(this.clientPrefix + redisKey))}}`
          : undefined;
      names = {
        tag,
        fence: sharedFenceKey ?? `${keyPrefix}#fence:${tag}`,
        markPrefix: tag === undefined ? `${keyPrefix}#released:` : `${keyPrefix}#released:${tag}:`,
        aux: undefined,
      };
      this.names.set(redisKey, names);
    }
    return names;
  }

  /** The fencing counter of the slot `redisKey` lives in. */
  fenceKeyFor(redisKey: string): string {
    return this.sharedFenceKey ?? this.namesOf(redisKey).fence;
  }

  /**
   * A bookkeeping key of the primitive whose main key is `redisKey` (a queue, the readers of a
   * read-write lock), in the same slot: `lock:#queue:order:42`, or on a Cluster
   * `lock:#queue:{tag}:order:42` where `{tag}` pins it to the main key's slot whatever the key
   * looks like (as the fencing counters are). Names starting with `#` are never user keys.
   */
  auxKey(redisKey: string, role: string): string {
    const names = this.namesOf(redisKey);
    const aux = (names.aux ??= {});
    let name = aux[role];
    if (name === undefined) {
      const key = redisKey.slice(this.keyPrefix.length);
      name =
        names.tag === undefined
          ? `${this.keyPrefix}#${role}:${key}`
          : `${this.keyPrefix}#${role}:${names.tag}:${key}`;
      aux[role] = name;
    }
    return name;
  }

  /**
   * The two keys of the wait queue of the primitive whose main key is `redisKey`, in its slot:
   * the queue (`#<role>:`) and its waiters' places (`#<role>-expiry:`), as wait-queue.lua.ts
   * expects them.
   */
  waitQueue(redisKey: string, role: string): [queue: string, places: string] {
    return [this.auxKey(redisKey, role), this.auxKey(redisKey, `${role}-expiry`)];
  }

  /**
   * The channel on which grants to the waiters of one manager (`hubId`) queued in `queueKey` are
   * announced, as SUBSCRIBE names it: the JavaScript side of channelOf in wait-queue.lua.ts. In
   * the queue's slot (its {tag} pins it) and under the manager's prefix (the ACL channel pattern
   * covers it).
   */
  waiterChannel(queueKey: string, hubId: string): string {
    return `${this.clientPrefix}${queueKey}#${hubId}`;
  }

  /**
   * The release mark of `token` in the slot of `redisKey` (see release-mark.lua.ts):
   * `lock:#released:{tag}:<token>`. Named by the token, which is dead once released.
   */
  markKey(redisKey: string, token: string): string {
    return this.namesOf(redisKey).markPrefix + token;
  }

  /** The key as the caller named it, without the manager's prefix (for error messages). */
  userKey(redisKey: string): string {
    return redisKey.slice(this.keyPrefix.length);
  }

  /** The channel releases of `redisKey` are announced on, as SUBSCRIBE names it. */
  channelFor(redisKey: string): string {
    // Scripts publish on KEYS[1], which ioredis prefixed; SUBSCRIBE arguments are not prefixed.
    return this.clientPrefix + redisKey;
  }

  /** The ACL channel pattern that covers every wakeup channel of these locks. */
  channelPattern(): string {
    return `${escapeGlob(this.clientPrefix + this.keyPrefix)}*`;
  }
}
