import { fairAcquireScript } from '../scripts/fair-acquire.script.js';
import { fairReleaseScript } from '../scripts/fair-release.script.js';
import { leaveQueueScript } from '../scripts/leave-queue.script.js';
import type { LeaseDriver } from './lease-driver.interface.js';
import type { AcquireReply, ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';
import type { RedisBackend } from './redis-backend.js';
import { defineCommandsOnce } from './script-commands.util.js';

const CMD = {
  acquire: 'redisLockFairAcquireV1',
  acquireSharded: 'redisLockFairAcquireShardedV1',
  release: 'redisLockFairReleaseV1',
  releaseSharded: 'redisLockFairReleaseShardedV1',
  leave: 'redisLockLeaveQueueV1',
  leaveSharded: 'redisLockLeaveQueueShardedV1',
} as const;

interface FairCommands {
  [CMD.acquire](...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.acquireSharded](...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.release](...keysAndArgs: string[]): Promise<number>;
  [CMD.releaseSharded](...keysAndArgs: string[]): Promise<number>;
  [CMD.leave](numKeys: number, ...keysAndArgs: string[]): Promise<number>;
  [CMD.leaveSharded](numKeys: number, ...keysAndArgs: string[]): Promise<number>;
}

/**
 * Fair locks: the same lock hash as a plain lock (fair and plain callers of a key exclude each
 * other), plus a queue in the lock's slot that decides who goes next. Renewal is a plain
 * lock's; acquire, release and giving up go through the queue.
 *
 * A plain caller of the same key does not look at the queue, so it can get in ahead of the
 * queued waiters: use `fair: true` on every acquire of a key whose order matters.
 * @internal
 */
export class FairLockDriver implements LeaseDriver {
  readonly addressed = true;
  private readonly commands: FairCommands;

  constructor(
    private readonly backend: RedisBackend,
    private readonly placeTtl: number,
  ) {
    this.commands = defineCommandsOnce<FairCommands>(backend.client, 'fair', {
      [CMD.acquire]: { numberOfKeys: 4, lua: fairAcquireScript('PUBLISH') },
      [CMD.acquireSharded]: { numberOfKeys: 4, lua: fairAcquireScript('SPUBLISH') },
      [CMD.release]: { numberOfKeys: 3, lua: fairReleaseScript('PUBLISH') },
      [CMD.releaseSharded]: { numberOfKeys: 3, lua: fairReleaseScript('SPUBLISH') },
      [CMD.leave]: { lua: leaveQueueScript('PUBLISH') },
      [CMD.leaveSharded]: { lua: leaveQueueScript('SPUBLISH') },
    });
  }

  private queueKeys(lockKey: string): [string, string] {
    return [this.backend.auxKey(lockKey, 'queue'), this.backend.auxKey(lockKey, 'queue-expiry')];
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    const lockKey = redisKeys[0]!;
    const command = this.backend.isCluster ? CMD.acquireSharded : CMD.acquire;
    const [acquired, value] = await this.commands[command](
      lockKey,
      this.backend.fenceKeyFor(lockKey),
      ...this.queueKeys(lockKey),
      token,
      ttl,
      owner,
      this.placeTtl,
    );
    if (acquired === 1) return { acquired: true, fencingToken: Number(value) };
    return { acquired: false, holderTtl: Number(value), blockedBy: 0 };
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const lockKey = redisKeys[0]!;
    const command = this.backend.isCluster ? CMD.releaseSharded : CMD.release;
    return toOwned(await this.commands[command](lockKey, ...this.queueKeys(lockKey), token));
  }

  async abandon(redisKeys: readonly string[], token: string): Promise<void> {
    const lockKey = redisKeys[0]!;
    const command = this.backend.isCluster ? CMD.leaveSharded : CMD.leave;
    await this.commands[command](3, lockKey, ...this.queueKeys(lockKey), token, 't');
  }

  // A held fair lock is a plain lock: renewed the same way.
  extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.backend.extend(request);
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return this.backend.extendMany(requests);
  }

  channelFor(redisKey: string): string {
    return this.backend.channelFor(redisKey);
  }
}
