import type { Cluster, Redis } from 'ioredis';
import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import { ACQUIRE_SCRIPT } from '../scripts/acquire.script.js';
import { EXTEND_MANY_SCRIPT, EXTEND_SCRIPT } from '../scripts/extend.script.js';
import { forceReleaseScript } from '../scripts/force-release.script.js';
import { INSPECT_SCRIPT } from '../scripts/inspect.script.js';
import { releaseScript } from '../scripts/release.script.js';
import { hasHashTag, keySlot, tagForSlot } from '../util/key-slot.util.js';
import type {
  AcquireReply,
  ExtendRequest,
  LockBackend,
  OwnedResult,
  RawLockInfo,
  WakeupTransport,
} from './lock-backend.interface.js';
import { RedisWakeupTransport } from './redis-wakeup-transport.js';

// Versioned names: two versions of this library on one client never run each other's scripts.
const CMD = {
  acquire: 'redisLockAcquireV1',
  release: 'redisLockReleaseV1',
  releaseSharded: 'redisLockReleaseShardedV1',
  extend: 'redisLockExtendV1',
  extendMany: 'redisLockExtendManyV1',
  inspect: 'redisLockInspectV1',
  forceRelease: 'redisLockForceReleaseV1',
  forceReleaseSharded: 'redisLockForceReleaseShardedV1',
} as const;

/** The methods `defineCommand` adds to the client. */
interface ScriptedClient {
  // Key counts vary with the lock, so numkeys comes first (ioredis still prefixes the keys).
  [CMD.acquire](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.release](numKeys: number, ...keysAndArgs: string[]): Promise<number>;
  [CMD.releaseSharded](numKeys: number, ...keysAndArgs: string[]): Promise<number>;
  [CMD.extend](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
  [CMD.extendMany](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.inspect](lockKey: string): Promise<[number, number?, string?, string?]>;
  [CMD.forceRelease](lockKey: string): Promise<number>;
  [CMD.forceReleaseSharded](lockKey: string): Promise<number>;
}

// Scripts are registered once per client, however many managers share it.
const registered = new WeakSet<object>();

function registerScripts(client: Redis | Cluster): void {
  if (registered.has(client)) return;
  // defineCommand sends EVAL the first time on each connection and EVALSHA afterwards, and
  // resends on NOSCRIPT (after a restart or failover): one round trip per call when warm.
  client.defineCommand(CMD.acquire, { lua: ACQUIRE_SCRIPT });
  client.defineCommand(CMD.release, { lua: releaseScript('PUBLISH') });
  client.defineCommand(CMD.releaseSharded, { lua: releaseScript('SPUBLISH') });
  client.defineCommand(CMD.extend, { lua: EXTEND_SCRIPT });
  client.defineCommand(CMD.extendMany, { lua: EXTEND_MANY_SCRIPT });
  client.defineCommand(CMD.inspect, { numberOfKeys: 1, lua: INSPECT_SCRIPT, readOnly: true });
  client.defineCommand(CMD.forceRelease, { numberOfKeys: 1, lua: forceReleaseScript('PUBLISH') });
  client.defineCommand(CMD.forceReleaseSharded, {
    numberOfKeys: 1,
    lua: forceReleaseScript('SPUBLISH'),
  });
  registered.add(client);
}

/** Locks per EVALSHA when renewing: big enough to batch, small enough not to stall Redis. */
const EXTEND_BATCH = 128;

function toOwned(code: number): OwnedResult {
  return code === 1 ? 'ok' : code === -1 ? 'taken' : 'expired';
}

/**
 * Locks on one Redis server (standalone, or the master a Sentinel client follows) or on a
 * Redis Cluster through an ioredis `Cluster` client.
 * @internal
 */
export class RedisBackend implements LockBackend {
  private readonly scripts: ScriptedClient;
  private readonly cluster: boolean;
  /** The client's own ioredis `keyPrefix`: Redis sees it in front of every key we name. */
  private readonly clientPrefix: string;
  private readonly sharedFenceKey: string | undefined;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly keyPrefix: string,
    private readonly subscriber: Redis | undefined,
  ) {
    registerScripts(client);
    this.scripts = client as unknown as ScriptedClient;
    this.cluster = (client as Cluster).isCluster === true;
    this.clientPrefix = client.options.keyPrefix ?? '';
    const fullPrefix = this.clientPrefix + keyPrefix;
    // One fencing counter serves every lock that lives in the same slot. On a single server
    // (or with a {hash tag} in the prefix) that is all of them; on a Cluster there is one per
    // slot, pinned to it with a {tag}.
    if (!this.cluster || hasHashTag(fullPrefix)) {
      this.sharedFenceKey = `${keyPrefix}#fence`;
    } else if (fullPrefix.includes('{')) {
      throw new InvalidLockOptionsError(
        'keyPrefix',
        `keyPrefix "${fullPrefix}" contains "{" without a complete {hash tag}; on a Cluster that would move keys to unexpected slots. Remove the brace or close the tag.`,
      );
    }
  }

  private fenceKeyFor(redisKey: string): string {
    return (
      this.sharedFenceKey ??
      `${this.keyPrefix}#fence:{${tagForSlot(keySlot(this.clientPrefix + redisKey))}}`
    );
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    this.assertOneSlot(redisKeys);
    const [acquired, value, blockedBy] = await this.scripts[CMD.acquire](
      redisKeys.length + 1,
      ...redisKeys,
      this.fenceKeyFor(redisKeys[0]!),
      token,
      ttl,
      owner,
    );
    return acquired === 1
      ? { acquired: true, fencingToken: Number(value) }
      : { acquired: false, holderTtl: Number(value), blockedBy: Number(blockedBy) - 1 };
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const command = this.cluster ? CMD.releaseSharded : CMD.release;
    return toOwned(await this.scripts[command](redisKeys.length, ...redisKeys, token));
  }

  async extend(redisKeys: readonly string[], token: string, ttl: number): Promise<OwnedResult> {
    return toOwned(await this.scripts[CMD.extend](redisKeys.length, ...redisKeys, token, ttl));
  }

  async extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    if (this.cluster) {
      // A script may only touch keys of one slot; the client routes each extend to its shard
      // and writes them without waiting for each other.
      return Promise.all(requests.map((r) => this.extend(r.redisKeys, r.token, r.ttl)));
    }
    const batches: Promise<number[]>[] = [];
    for (let start = 0; start < requests.length; start += EXTEND_BATCH) {
      const batch = requests.slice(start, start + EXTEND_BATCH);
      const keys: string[] = [];
      const args: Array<string | number> = [];
      for (const r of batch) {
        keys.push(...r.redisKeys);
        args.push(r.redisKeys.length, r.token, r.ttl);
      }
      batches.push(this.scripts[CMD.extendMany](keys.length, ...keys, ...args));
    }
    return (await Promise.all(batches)).flat().map(toOwned);
  }

  /**
   * One script may only touch one slot of a Cluster. Locks whose keys share a {hash tag} are
   * taken atomically; keys spread over slots are refused here with advice.
   */
  private assertOneSlot(redisKeys: readonly string[]): void {
    if (!this.cluster || redisKeys.length < 2) return;
    const slot = keySlot(this.clientPrefix + redisKeys[0]!);
    for (const key of redisKeys) {
      if (keySlot(this.clientPrefix + key) !== slot) {
        throw new InvalidLockOptionsError(
          'key',
          `The keys of one multi-key lock must share a Cluster slot: give them one {hash tag}, for example "{account}:1" and "{account}:2" (${redisKeys.join(', ')}).`,
        );
      }
    }
  }

  async inspect(redisKey: string): Promise<RawLockInfo> {
    const [held, ttl, fence, owner] = await this.scripts[CMD.inspect](redisKey);
    if (held !== 1) return { held: false, ttl: null, fencingToken: null, owner: null };
    return {
      held: true,
      ttl: Number(ttl),
      fencingToken: Number(fence),
      owner: owner ? owner : null,
    };
  }

  async forceRelease(redisKey: string): Promise<boolean> {
    const command = this.cluster ? CMD.forceReleaseSharded : CMD.forceRelease;
    return (await this.scripts[command](redisKey)) === 1;
  }

  channelFor(redisKey: string): string {
    // Scripts publish on KEYS[1], which ioredis prefixed; SUBSCRIBE arguments are not prefixed.
    return this.clientPrefix + redisKey;
  }

  createWakeupTransport(): WakeupTransport {
    if (this.subscriber) return new RedisWakeupTransport(this.subscriber, false, false);
    const connection = this.cluster
      ? (this.client as Cluster).duplicate(undefined, { shardedSubscribers: true })
      : (this.client as Redis).duplicate();
    return new RedisWakeupTransport(connection, this.cluster, true);
  }

  isClosed(): boolean {
    return this.client.status === 'end';
  }
}
