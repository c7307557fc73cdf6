import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import type { LockHealth } from '../interfaces/lock-health.interface.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';
import { ACQUIRE_SCRIPT } from '../scripts/acquire.script.js';
import { EXTEND_MANY_SCRIPT, EXTEND_SCRIPT } from '../scripts/extend.script.js';
import { forceReleaseScript } from '../scripts/force-release.script.js';
import { HEAL_SCRIPT } from '../scripts/heal.script.js';
import { INSPECT_SCRIPT } from '../scripts/inspect.script.js';
import { RAISE_FENCE_SCRIPT } from '../scripts/raise-fence.script.js';
import { releaseScript } from '../scripts/release.script.js';
import { escapeGlob } from '../util/escape-glob.util.js';
import { groupKeysBySlot, hasHashTag, keySlot, tagForSlot } from '../util/key-slot.util.js';
import type {
  AcquireReply,
  ExtendRequest,
  LockBackend,
  OwnedResult,
  RawLockInfo,
  WakeupTransport,
} from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';
import { PrimitiveDrivers } from './primitive-drivers.js';
import { probeClient } from './probe.util.js';
import { RedisWakeupTransport } from './redis-wakeup-transport.js';
import { ReplicaShortfall } from './replica-shortfall.js';

// Versioned names: two versions of this library on one client never run each other's scripts.
const CMD = {
  acquire: 'redisLockAcquireV2',
  release: 'redisLockReleaseV2',
  releaseSharded: 'redisLockReleaseShardedV2',
  extend: 'redisLockExtendV2',
  extendMany: 'redisLockExtendManyV2',
  inspect: 'redisLockInspectV2',
  forceRelease: 'redisLockForceReleaseV2',
  forceReleaseSharded: 'redisLockForceReleaseShardedV2',
  raiseFence: 'redisLockRaiseFenceV2',
  heal: 'redisLockHealV2',
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
  [CMD.forceRelease](lockKey: string, ...fencingToken: number[]): Promise<number>;
  [CMD.forceReleaseSharded](lockKey: string, ...fencingToken: number[]): Promise<number>;
  [CMD.raiseFence](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
  [CMD.heal](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
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
  client.defineCommand(CMD.raiseFence, { lua: RAISE_FENCE_SCRIPT });
  client.defineCommand(CMD.heal, { lua: HEAL_SCRIPT });
  registered.add(client);
}

const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE_SCRIPT).digest('hex');

/** ioredis states in which a command would only wait in the offline queue (or never go). */
const DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

/** Slot tags remembered per backend: the lock keys in use, at most this many. */
const SLOT_TAG_CACHE = 4_096;

/** Locks per EVALSHA when renewing: big enough to batch, small enough not to stall Redis. */
const EXTEND_BATCH = 128;

function isCrossSlot(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('CROSSSLOT');
}

/** The combined result of one lock's parts (slot groups): lost if any part is. */
function worst(results: readonly OwnedResult[]): OwnedResult {
  if (results.includes('taken')) return 'taken';
  if (results.includes('expired')) return 'expired';
  return 'ok';
}

/** @internal */
export interface RedisBackendConfig {
  readonly keyPrefix: string;
  /** How long a waiter of a fair lock (or a writer) keeps its place in a queue, in ms. */
  readonly waiterTtl: number;
  readonly subscriber: Redis | undefined;
  readonly waitForReplicas: ResolvedLockManagerOptions['waitForReplicas'];
}

/**
 * Locks on one Redis server (standalone, or the master a Sentinel client follows) or on a
 * Redis Cluster through an ioredis `Cluster` client.
 *
 * On a Cluster, the keys of a lock that share a slot are taken by one atomic script; a lock
 * whose keys span slots is taken slot group by slot group, in slot order, and rolled back if a
 * group is held by someone else.
 * @internal
 */
export class RedisBackend implements LockBackend {
  private readonly scripts: ScriptedClient;
  private readonly cluster: boolean;
  /** The client's own ioredis `keyPrefix`: Redis sees it in front of every key we name. */
  private readonly clientPrefix: string;
  private readonly keyPrefix: string;
  private readonly subscriber: Redis | undefined;
  private readonly sharedFenceKey: string | undefined;
  private readonly waitForReplicas: RedisBackendConfig['waitForReplicas'];
  private readonly waiterTtl: number;
  private drivers: PrimitiveDrivers | undefined;
  private slotRules = false;
  private readonly slotTags = new Map<string, string>();

  constructor(
    /** @internal */
    readonly client: Redis | Cluster,
    config: RedisBackendConfig,
  ) {
    registerScripts(client);
    this.scripts = client as unknown as ScriptedClient;
    this.keyPrefix = config.keyPrefix;
    this.subscriber = config.subscriber;
    this.waitForReplicas = config.waitForReplicas;
    this.waiterTtl = config.waiterTtl;
    this.cluster = (client as Cluster).isCluster === true;
    this.clientPrefix = client.options.keyPrefix ?? '';
    const fullPrefix = this.clientPrefix + this.keyPrefix;
    // One fencing counter serves every lock that lives in the same slot, pinned to it with a
    // {tag}: a script never touches two slots, which a Cluster, and the proxies and managed
    // services that enforce its slot rules on a single endpoint, would refuse (CROSSSLOT). With
    // a {hash tag} in the prefix every key shares one slot, and one counter serves them all.
    if (hasHashTag(fullPrefix)) {
      this.sharedFenceKey = `${this.keyPrefix}#fence`;
    } else if (fullPrefix.includes('{')) {
      throw new InvalidLockOptionsError(
        'keyPrefix',
        `keyPrefix "${fullPrefix}" contains "{" without a complete {hash tag}; on a Cluster that would move keys to unexpected slots. Remove the brace or close the tag.`,
      );
    }
  }

  /** The client's ioredis `keyPrefix` (quorum members must agree on it). */
  get prefix(): string {
    return this.clientPrefix;
  }

  /** Whether the client is a Cluster client (scripts then touch one slot each). */
  get isCluster(): boolean {
    return this.cluster;
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

  /**
   * `{tag}` that pins a bookkeeping key to the slot of `redisKey`. Remembered for the keys in
   * use: every operation of a lock names a bookkeeping key or two (fencing counter, queue,
   * release mark), and a CRC per name adds up.
   */
  private slotTag(redisKey: string): string {
    let tag = this.slotTags.get(redisKey);
    if (tag === undefined) {
      if (this.slotTags.size >= SLOT_TAG_CACHE) this.slotTags.clear();
      tag = `{${tagForSlot(keySlot(this.clientPrefix + redisKey))}}`;
      this.slotTags.set(redisKey, tag);
    }
    return tag;
  }

  /** The fencing counter of the slot `redisKey` lives in. */
  fenceKeyFor(redisKey: string): string {
    return this.sharedFenceKey ?? `${this.keyPrefix}#fence:${this.slotTag(redisKey)}`;
  }

  /**
   * A bookkeeping key of the primitive whose main key is `redisKey` (a queue, the readers of a
   * read-write lock), in the same slot: `lock:#queue:order:42`, or on a Cluster
   * `lock:#queue:{tag}:order:42` where `{tag}` pins it to the main key's slot whatever the key
   * looks like (as the fencing counters are). Names starting with `#` are never user keys.
   */
  auxKey(redisKey: string, role: string): string {
    const key = redisKey.slice(this.keyPrefix.length);
    if (this.sharedFenceKey !== undefined) return `${this.keyPrefix}#${role}:${key}`;
    return `${this.keyPrefix}#${role}:${this.slotTag(redisKey)}:${key}`;
  }

  /**
   * The release mark of `token` in the slot of `redisKey` (see release-mark.script.ts):
   * `lock:#released:{tag}:<token>`. Named by the token, which is dead once released.
   */
  markKey(redisKey: string, token: string): string {
    if (this.sharedFenceKey !== undefined) return `${this.keyPrefix}#released:${token}`;
    return `${this.keyPrefix}#released:${this.slotTag(redisKey)}:${token}`;
  }

  /** The key as the caller named it, without the manager's prefix (for error messages). */
  userKey(redisKey: string): string {
    return redisKey.slice(this.keyPrefix.length);
  }

  primitives(): PrimitiveDrivers {
    this.drivers ??= new PrimitiveDrivers(this, this.waiterTtl);
    return this.drivers;
  }

  /** The lock's keys in the groups one script can take: one group unless a Cluster splits them. */
  private groups(redisKeys: readonly string[]): readonly (readonly string[])[] {
    if (!this.splitsBySlot || this.sharedFenceKey !== undefined || redisKeys.length < 2) {
      return [redisKeys];
    }
    return groupKeysBySlot(redisKeys, this.clientPrefix);
  }

  acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    if (redisKeys.length === 1) return this.acquireGroup(redisKeys, token, ttl, owner);
    return this.keepingSlotRules(() => {
      const groups = this.groups(redisKeys);
      if (groups.length === 1) return this.acquireGroup(redisKeys, token, ttl, owner);
      return this.acquireAcrossSlots(redisKeys, groups, token, ttl, owner);
    });
  }

  /**
   * Slot group after slot group, in the canonical order, so that two callers wanting
   * overlapping sets meet at the first group they share instead of each holding a part the
   * other needs. A group held by someone else rolls back the groups already taken.
   */
  private async acquireAcrossSlots(
    redisKeys: readonly string[],
    groups: readonly (readonly string[])[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    const tokens: number[] = [];
    let shortfall: { acknowledged: number; required: number } | undefined;
    let index = 0;
    try {
      for (; index < groups.length; index++) {
        const group = groups[index]!;
        const reply = await this.acquireGroup(group, token, ttl, owner);
        if (!reply.acquired) {
          await this.releaseQuietly(groups.slice(0, index), token);
          return {
            acquired: false,
            holderTtl: reply.holderTtl,
            blockedBy: redisKeys.indexOf(group[reply.blockedBy] ?? group[0]!),
          };
        }
        tokens.push(reply.fencingToken);
        if (
          reply.shortfall &&
          (!shortfall || reply.shortfall.acknowledged < shortfall.acknowledged)
        ) {
          shortfall = reply.shortfall;
        }
      }
    } catch (error) {
      // The group in flight may have been taken before the error: release it too.
      await this.releaseQuietly(groups.slice(0, index + 1), token);
      throw error;
    }

    // Each slot issued its own token. The lock gets the largest, and every other slot's
    // counter is raised to it, so any later holder of any of these keys gets a larger one.
    const fence = Math.max(...tokens);
    let raised: OwnedResult[];
    try {
      raised = await Promise.all(
        groups.map((group, i) =>
          tokens[i]! < fence ? this.raiseGroup(group, token, fence) : ('ok' as const),
        ),
      );
    } catch (error) {
      await this.releaseQuietly(groups, token);
      throw error;
    }
    const lostAt = raised.findIndex((result) => result !== 'ok');
    if (lostAt !== -1) {
      // A part expired while the others were being taken (a ttl shorter than the round trips):
      // this attempt failed, the next one starts over.
      await this.releaseQuietly(groups, token);
      return { acquired: false, holderTtl: -1, blockedBy: redisKeys.indexOf(groups[lostAt]![0]!) };
    }
    return shortfall
      ? { acquired: true, fencingToken: fence, shortfall }
      : { acquired: true, fencingToken: fence };
  }

  /** Keys of one slot, in one script (and one round trip, `WAIT` included). */
  private async acquireGroup(
    keys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    const fenceKey = this.fenceKeyFor(keys[0]!);
    let reply: number[];
    let acknowledged = Infinity;
    if (this.waitForReplicas) {
      [reply, acknowledged] = await this.acquireAndWait(keys, fenceKey, token, ttl, owner);
    } else {
      reply = await this.scripts[CMD.acquire](
        keys.length + 1,
        ...keys,
        fenceKey,
        token,
        ttl,
        owner,
      );
    }
    const [acquired, value, blockedBy] = reply;
    if (acquired !== 1) {
      return { acquired: false, holderTtl: Number(value), blockedBy: Number(blockedBy) - 1 };
    }
    const fencingToken = Number(value);
    const wait = this.waitForReplicas;
    if (!wait || acknowledged >= wait.replicas) return { acquired: true, fencingToken };
    if (wait.onShortfall === 'report') {
      return {
        acquired: true,
        fencingToken,
        shortfall: { acknowledged, required: wait.replicas },
      };
    }
    // A failover now could forget the lock: do not hand it out.
    await this.releaseQuietly([keys], token);
    throw new ReplicaShortfall(acknowledged, wait.replicas, wait.timeout);
  }

  /**
   * The acquire script and `WAIT` in one pipeline: one round trip, on one connection, so the
   * `WAIT` counts the replicas that have the acquisition. Sent as EVALSHA (EVAL when the
   * server lost its script cache) rather than through `defineCommand`, which would resend a
   * NOSCRIPT script outside the pipeline, after the `WAIT`.
   */
  private async acquireAndWait(
    keys: readonly string[],
    fenceKey: string,
    token: string,
    ttl: number,
    owner: string,
  ): Promise<[number[], number]> {
    const { replicas, timeout } = this.waitForReplicas!;
    const args = [...keys, fenceKey, token, ttl, owner];
    const send = async (script: 'evalsha' | 'eval'): Promise<[number[], number]> => {
      const pipeline = this.client.pipeline();
      if (script === 'evalsha') pipeline.evalsha(ACQUIRE_SHA, keys.length + 1, ...args);
      else pipeline.eval(ACQUIRE_SCRIPT, keys.length + 1, ...args);
      pipeline.wait(replicas, timeout);
      const results = (await pipeline.exec()) ?? [];
      const [scriptError, scriptReply] = results[0] ?? [new Error('no reply')];
      const [waitError, waitReply] = results[1] ?? [new Error('no reply')];
      if (scriptError) throw scriptError;
      if (waitError) throw waitError;
      return [scriptReply as number[], Number(waitReply)];
    };
    try {
      return await send('evalsha');
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return send('eval');
      throw error;
    }
  }

  private raiseGroup(keys: readonly string[], token: string, fence: number): Promise<OwnedResult> {
    return this.scripts[CMD.raiseFence](
      keys.length + 1,
      ...keys,
      this.fenceKeyFor(keys[0]!),
      token,
      fence,
    ).then(toOwned);
  }

  /**
   * Raises the fencing counters of the lock's slots to `fence` and stores it on the lock, if
   * the lock is still ours (see the script).
   */
  async raiseFence(
    redisKeys: readonly string[],
    token: string,
    fence: number,
  ): Promise<OwnedResult> {
    return this.keepingSlotRules(async () =>
      worst(
        await Promise.all(
          this.groups(redisKeys).map((group) => this.raiseGroup(group, token, fence)),
        ),
      ),
    );
  }

  /** Recreates the keys of a lock that are missing here (a quorum member restarted empty). */
  heal(request: ExtendRequest, owner: string): Promise<number> {
    return this.keepingSlotRules(() => this.healGroups(request, owner));
  }

  private async healGroups(request: ExtendRequest, owner: string): Promise<number> {
    const counts = await Promise.all(
      this.groups(request.redisKeys).map((group) =>
        this.scripts[CMD.heal](
          group.length + 1,
          ...group,
          this.fenceKeyFor(group[0]!),
          request.token,
          request.ttl,
          request.fencingToken,
          owner,
        ),
      ),
    );
    return counts.reduce((sum, count) => sum + Number(count), 0);
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const command = this.cluster ? CMD.releaseSharded : CMD.release;
    // The common case, one key: no intermediate promises on the hot path.
    if (redisKeys.length === 1) {
      const lock = redisKeys[0]!;
      return toOwned(await this.scripts[command](2, lock, this.markKey(lock, token), token));
    }
    return this.keepingSlotRules(() => this.releaseGroups(redisKeys, token));
  }

  private async releaseGroups(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const command = this.cluster ? CMD.releaseSharded : CMD.release;
    const results = await Promise.all(
      this.groups(redisKeys).map(async (group) =>
        toOwned(
          await this.scripts[command](
            group.length + 1,
            ...group,
            this.markKey(group[0]!, token),
            token,
          ),
        ),
      ),
    );
    return worst(results);
  }

  private async releaseQuietly(
    groups: readonly (readonly string[])[],
    token: string,
  ): Promise<void> {
    // Owner-checked, so harmless where the key already belongs to someone else.
    await Promise.all(groups.map((group) => this.release(group, token).catch(() => undefined)));
  }

  extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.keepingSlotRules(async () => {
      const { redisKeys, token, ttl } = request;
      const results = await Promise.all(
        this.groups(redisKeys).map(async (group) =>
          toOwned(await this.scripts[CMD.extend](group.length, ...group, token, ttl)),
        ),
      );
      return worst(results);
    });
  }

  async extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    if (this.splitsBySlot) {
      // A script may only touch keys of one slot; the client routes each extend to its shard
      // and writes them without waiting for each other.
      return Promise.all(requests.map((r) => this.extend(r)));
    }
    return this.keepingSlotRules(() => this.extendBatches(requests));
  }

  private async extendBatches(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    if (this.splitsBySlot) return Promise.all(requests.map((r) => this.extend(r)));
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

  async forceRelease(redisKey: string, fencingToken?: number): Promise<boolean> {
    const command = this.cluster ? CMD.forceReleaseSharded : CMD.forceRelease;
    const only = fencingToken === undefined ? [] : [fencingToken];
    return (await this.scripts[command](redisKey, ...only)) === 1;
  }

  async *scan(match: string, count: number): AsyncIterable<readonly string[]> {
    // SCAN walks one server: on a Cluster, every master in turn.
    const servers = this.cluster
      ? (this.client as Cluster).nodes('master')
      : [this.client as Redis];
    if (servers.length === 0) {
      throw new Error(`no Redis Cluster master is known yet (status "${this.client.status}")`);
    }
    // ioredis prefixes the keys of commands, not SCAN patterns nor the names SCAN returns.
    const pattern = escapeGlob(this.clientPrefix) + match;
    const start = this.clientPrefix.length;
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, names] = await server.scan(
          cursor,
          'MATCH',
          pattern,
          'COUNT',
          count,
          'TYPE',
          'hash',
        );
        cursor = next;
        if (names.length > 0) yield start === 0 ? names : names.map((name) => name.slice(start));
      } while (cursor !== '0');
    }
  }

  probe(timeout: number): Promise<LockHealth> {
    return probeClient(this.client, timeout, {
      keyPrefix: this.keyPrefix,
      clientPrefix: this.clientPrefix,
    });
  }

  channelFor(redisKey: string): string {
    // Scripts publish on KEYS[1], which ioredis prefixed; SUBSCRIBE arguments are not prefixed.
    return this.clientPrefix + redisKey;
  }

  channelPattern(): string {
    return `${escapeGlob(this.clientPrefix + this.keyPrefix)}*`;
  }

  createWakeupTransport(): WakeupTransport {
    if (this.subscriber) return new RedisWakeupTransport(this.subscriber, false, false);
    if (this.cluster) {
      const connection = (this.client as Cluster).duplicate(undefined, {
        shardedSubscribers: true,
      });
      return new RedisWakeupTransport(connection, true, true);
    }
    // Resubscribed by the transport, which handles the outcome (see RedisWakeupTransport).
    const connection = (this.client as Redis).duplicate({ autoResubscribe: false });
    return new RedisWakeupTransport(connection, false, true, true);
  }

  isClosed(): boolean {
    return this.client.status === 'end';
  }

  unreachable(): string | undefined {
    const { status } = this.client;
    return DOWN.has(status) ? `not connected to Redis (ioredis status "${status}")` : undefined;
  }

  get attemptAllowanceMs(): number {
    return this.waitForReplicas ? 2 * this.waitForReplicas.timeout : 0;
  }

  get followsFailover(): boolean {
    return this.cluster || ((this.client as Redis).options.sentinels?.length ?? 0) > 0;
  }
}
