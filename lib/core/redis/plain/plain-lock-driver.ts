import type { LockConnection } from '../connection/lock-connection.interface.js';
import type {
  AcquireReply,
  ExtendRequest,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { toOwned } from '../../backend/owned-result.util.js';
import type { ResolvedLockManagerOptions } from '../../options/resolve-manager-options.js';
import { extendInBatches } from '../extend-in-batches.util.js';
import type { RedisKeyspace } from '../redis-keyspace.js';
import { ReplicaShortfall } from '../replica-shortfall.js';
import { ScriptLeaseDriver } from '../script-lease-driver.js';
import { acquireAcrossSlots, type SlotGroupOperations } from './acquire-across-slots.util.js';
import { ACQUIRE_SCRIPT, ACQUIRE_SHA } from './acquire.script.js';
import { EXTEND_MANY_SCRIPT, EXTEND_SCRIPT } from './extend.script.js';
import { HEAL_SCRIPT } from './heal.script.js';
import { RAISE_FENCE_SCRIPT } from './raise-fence.script.js';
import { releaseScript } from './release.script.js';

/** The plain lock's commands. Key counts vary with the lock, so numkeys comes first. */
interface PlainScripts {
  acquire(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  release(numKeys: number, ...keysAndArgs: string[]): Promise<number>;
  extend(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
  extendMany(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  raiseFence(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
  heal(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
}

/** The combined result of one lock's parts (slot groups): lost if any part is. */
function worst(results: readonly OwnedResult[]): OwnedResult {
  if (results.includes('taken')) return 'taken';
  if (results.includes('expired')) return 'expired';
  return 'ok';
}

/**
 * Plain locks on one Redis server or Cluster: one hash per key (t = the holder's token, f = its
 * fencing token, o = the owner label), one or more keys taken all or none.
 *
 * On a Cluster, the keys of a lock that share a slot are taken by one atomic script; a lock
 * whose keys span slots is taken slot group by slot group, in slot order, and rolled back if a
 * group is held by someone else (see acquire-across-slots.util.ts). With `waitForReplicas`, each
 * acquisition is followed by `WAIT` in the same round trip.
 * @internal
 */
export class PlainLockDriver
  extends ScriptLeaseDriver<PlainScripts>
  implements SlotGroupOperations
{
  constructor(
    private readonly client: LockConnection,
    keyspace: RedisKeyspace,
    private readonly waitForReplicas: ResolvedLockManagerOptions['waitForReplicas'],
  ) {
    // Versioned names on the client (redisLockAcquireV2): two versions of this library on one
    // client never run each other's scripts.
    super(client, keyspace, {
      acquire: { name: 'Acquire', lua: ACQUIRE_SCRIPT },
      release: { name: 'Release', lua: releaseScript },
      extend: { name: 'Extend', lua: EXTEND_SCRIPT },
      extendMany: { name: 'ExtendMany', lua: EXTEND_MANY_SCRIPT },
      raiseFence: { name: 'RaiseFence', lua: RAISE_FENCE_SCRIPT },
      heal: { name: 'Heal', lua: HEAL_SCRIPT },
    });
  }

  /** The `WAIT` of `waitForReplicas` (twice, when a failover emptied the script cache). */
  get attemptAllowanceMs(): number {
    return this.waitForReplicas ? 2 * this.waitForReplicas.timeout : 0;
  }

  acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    if (redisKeys.length === 1) return this.acquireGroup(redisKeys, token, ttl, owner);
    return this.keyspace.keepingSlotRules(() => {
      const groups = this.keyspace.groups(redisKeys);
      if (groups.length === 1) return this.acquireGroup(redisKeys, token, ttl, owner);
      return acquireAcrossSlots(this, redisKeys, groups, token, ttl, owner);
    });
  }

  /** Keys of one slot, in one script (and one round trip, `WAIT` included). */
  async acquireGroup(
    keys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    const fenceKey = this.keyspace.fenceKeyFor(keys[0]!);
    const wait = this.waitForReplicas;
    let reply: number[];
    let acknowledged = Infinity;
    if (wait) {
      let answer: unknown;
      [answer, acknowledged] = await this.client.scriptThenWait(
        ACQUIRE_SCRIPT,
        ACQUIRE_SHA,
        [...keys, fenceKey],
        [token, ttl, owner],
        wait,
      );
      reply = answer as number[];
    } else {
      reply = await this.scripts.acquire(keys.length + 1, ...keys, fenceKey, token, ttl, owner);
    }
    const [acquired, value, blockedBy] = reply;
    if (acquired !== 1) {
      return { acquired: false, holderTtl: Number(value), blockedBy: Number(blockedBy) - 1 };
    }
    const fencingToken = Number(value);
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

  raiseGroup(keys: readonly string[], token: string, fence: number): Promise<OwnedResult> {
    return this.scripts
      .raiseFence(keys.length + 1, ...keys, this.keyspace.fenceKeyFor(keys[0]!), token, fence)
      .then(toOwned);
  }

  /**
   * Raises the fencing counters of the lock's slots to `fence` and stores it on the lock, if
   * the lock is still ours (see the script).
   */
  raiseFence(redisKeys: readonly string[], token: string, fence: number): Promise<OwnedResult> {
    return this.keyspace.keepingSlotRules(async () =>
      worst(
        await Promise.all(
          this.keyspace.groups(redisKeys).map((group) => this.raiseGroup(group, token, fence)),
        ),
      ),
    );
  }

  /** Recreates the keys of a lock that are missing here (a quorum member restarted empty). */
  heal(request: ExtendRequest, owner: string): Promise<number> {
    return this.keyspace.keepingSlotRules(async () => {
      const counts = await Promise.all(
        this.keyspace
          .groups(request.redisKeys)
          .map((group) =>
            this.scripts.heal(
              group.length + 1,
              ...group,
              this.keyspace.fenceKeyFor(group[0]!),
              request.token,
              request.ttl,
              request.fencingToken,
              owner,
            ),
          ),
      );
      return counts.reduce((sum, count) => sum + Number(count), 0);
    });
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    // The common case, one key: no intermediate promises on the hot path.
    if (redisKeys.length === 1) {
      const lock = redisKeys[0]!;
      return toOwned(
        await this.scripts.release(
          2,
          lock,
          this.keyspace.markKey(lock, token),
          token,
          this.releaseMark,
        ),
      );
    }
    return this.keyspace.keepingSlotRules(() => this.releaseGroups(redisKeys, token));
  }

  private async releaseGroups(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const results = await Promise.all(
      this.keyspace
        .groups(redisKeys)
        .map(async (group) =>
          toOwned(
            await this.scripts.release(
              group.length + 1,
              ...group,
              this.keyspace.markKey(group[0]!, token),
              token,
              this.releaseMark,
            ),
          ),
        ),
    );
    return worst(results);
  }

  async releaseQuietly(groups: readonly (readonly string[])[], token: string): Promise<void> {
    // Owner-checked, so harmless where the key already belongs to someone else.
    await Promise.all(groups.map((group) => this.release(group, token).catch(() => undefined)));
  }

  override extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.keyspace.keepingSlotRules(async () => {
      const { redisKeys, token, ttl } = request;
      const results = await Promise.all(
        this.keyspace
          .groups(redisKeys)
          .map(async (group) =>
            toOwned(await this.scripts.extend(group.length, ...group, token, ttl)),
          ),
      );
      return worst(results);
    });
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return extendInBatches(
      requests,
      this.keyspace,
      (batch) => {
        const keys: string[] = [];
        const args: Array<string | number> = [];
        for (const r of batch) {
          keys.push(...r.redisKeys);
          args.push(r.redisKeys.length, r.token, r.ttl);
        }
        return this.scripts.extendMany(keys.length, ...keys, ...args);
      },
      // A script may only touch keys of one slot: each lock on its own, slot group by group.
      (request) => this.extend(request),
    );
  }
}
