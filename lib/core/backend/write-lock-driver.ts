import { leaveQueueScript } from '../scripts/leave-queue.script.js';
import {
  WRITE_EXTEND_SCRIPT,
  writeAcquireScript,
  writeReleaseScript,
} from '../scripts/read-write-lock.script.js';
import type { LeaseDriver } from './lease-driver.interface.js';
import type { AcquireReply, ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';
import { readWriteKeys } from './read-write-keys.util.js';
import type { RedisBackend } from './redis-backend.js';
import { defineCommandsOnce, extendInBatches } from './script-commands.util.js';

const CMD = {
  acquire: 'redisLockWriteAcquireV1',
  acquireSharded: 'redisLockWriteAcquireShardedV1',
  extend: 'redisLockWriteExtendV1',
  release: 'redisLockWriteReleaseV1',
  releaseSharded: 'redisLockWriteReleaseShardedV1',
  leave: 'redisLockLeaveQueueV1',
  leaveSharded: 'redisLockLeaveQueueShardedV1',
} as const;

interface WriteCommands {
  [CMD.acquire](...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.acquireSharded](...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.extend](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.release](...keysAndArgs: string[]): Promise<number>;
  [CMD.releaseSharded](...keysAndArgs: string[]): Promise<number>;
  [CMD.leave](numKeys: number, ...keysAndArgs: string[]): Promise<number>;
  [CMD.leaveSharded](numKeys: number, ...keysAndArgs: string[]): Promise<number>;
}

/**
 * The write side of read-write locks: writers wait in a queue (arrival order among writers, and
 * a waiting writer keeps new readers out), and get a fencing token from the slot's counter.
 * @internal
 */
export class WriteLockDriver implements LeaseDriver {
  readonly addressed = true;
  private readonly commands: WriteCommands;

  constructor(
    private readonly backend: RedisBackend,
    private readonly placeTtl: number,
  ) {
    this.commands = defineCommandsOnce<WriteCommands>(backend.client, 'write', {
      [CMD.acquire]: { numberOfKeys: 5, lua: writeAcquireScript('PUBLISH') },
      [CMD.acquireSharded]: { numberOfKeys: 5, lua: writeAcquireScript('SPUBLISH') },
      [CMD.extend]: { lua: WRITE_EXTEND_SCRIPT },
      [CMD.release]: { numberOfKeys: 3, lua: writeReleaseScript('PUBLISH') },
      [CMD.releaseSharded]: { numberOfKeys: 3, lua: writeReleaseScript('SPUBLISH') },
      [CMD.leave]: { lua: leaveQueueScript('PUBLISH') },
      [CMD.leaveSharded]: { lua: leaveQueueScript('SPUBLISH') },
    });
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    const { state, readers, queue, expiry } = readWriteKeys(this.backend, redisKeys[0]!);
    const command = this.backend.isCluster ? CMD.acquireSharded : CMD.acquire;
    const [acquired, value] = await this.commands[command](
      state,
      readers,
      queue,
      expiry,
      this.backend.fenceKeyFor(state),
      token,
      ttl,
      owner,
      this.placeTtl,
    );
    if (acquired === 1) return { acquired: true, fencingToken: Number(value) };
    return { acquired: false, holderTtl: Number(value), blockedBy: 0 };
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const { state, queue, expiry } = readWriteKeys(this.backend, redisKeys[0]!);
    const command = this.backend.isCluster ? CMD.releaseSharded : CMD.release;
    return toOwned(await this.commands[command](state, queue, expiry, token));
  }

  async abandon(redisKeys: readonly string[], token: string): Promise<void> {
    const { state, readers, queue, expiry } = readWriteKeys(this.backend, redisKeys[0]!);
    const command = this.backend.isCluster ? CMD.leaveSharded : CMD.leave;
    await this.commands[command](4, state, queue, expiry, readers, token, 'w');
  }

  async extend(request: ExtendRequest): Promise<OwnedResult> {
    return (await this.extendMany([request]))[0]!;
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return extendInBatches(requests, this.backend.isCluster, (batch) =>
      this.commands[CMD.extend](
        batch.length,
        ...batch.map((r) => r.redisKeys[0]!),
        ...batch.flatMap((r) => [r.token, r.ttl]),
      ),
    );
  }

  channelFor(redisKey: string): string {
    return this.backend.channelFor(redisKey);
  }
}
