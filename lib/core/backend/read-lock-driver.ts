import {
  READ_EXTEND_SCRIPT,
  readAcquireScript,
  readReleaseScript,
} from '../scripts/read-write-lock.script.js';
import type { LeaseDriver } from './lease-driver.interface.js';
import type { AcquireReply, ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';
import type { RedisBackend } from './redis-backend.js';
import { readWriteKeys } from './read-write-keys.util.js';
import { defineCommandsOnce, extendInBatches } from './script-commands.util.js';

const CMD = {
  acquire: 'redisLockReadAcquireV1',
  acquireSharded: 'redisLockReadAcquireShardedV1',
  extend: 'redisLockReadExtendV1',
  release: 'redisLockReadReleaseV1',
  releaseSharded: 'redisLockReadReleaseShardedV1',
} as const;

interface ReadCommands {
  [CMD.acquire](...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.acquireSharded](...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.extend](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.release](...keysAndArgs: string[]): Promise<number>;
  [CMD.releaseSharded](...keysAndArgs: string[]): Promise<number>;
}

/**
 * The read side of read-write locks: each reader has its own expiry in the lock's readers set.
 * A reader that gets in passes the wakeup on, so the readers waiting in one process all follow.
 * @internal
 */
export class ReadLockDriver implements LeaseDriver {
  private readonly commands: ReadCommands;

  constructor(private readonly backend: RedisBackend) {
    this.commands = defineCommandsOnce<ReadCommands>(backend.client, 'read', {
      [CMD.acquire]: { numberOfKeys: 4, lua: readAcquireScript('PUBLISH') },
      [CMD.acquireSharded]: { numberOfKeys: 4, lua: readAcquireScript('SPUBLISH') },
      [CMD.extend]: { lua: READ_EXTEND_SCRIPT },
      [CMD.release]: { numberOfKeys: 4, lua: readReleaseScript('PUBLISH') },
      [CMD.releaseSharded]: { numberOfKeys: 4, lua: readReleaseScript('SPUBLISH') },
    });
  }

  async acquire(redisKeys: readonly string[], token: string, ttl: number): Promise<AcquireReply> {
    const { state, readers, queue, expiry } = readWriteKeys(this.backend, redisKeys[0]!);
    const command = this.backend.isCluster ? CMD.acquireSharded : CMD.acquire;
    const [acquired, value] = await this.commands[command](
      state,
      readers,
      queue,
      expiry,
      token,
      ttl,
    );
    if (acquired === 1) return { acquired: true, fencingToken: 0, passOn: true };
    return { acquired: false, holderTtl: Number(value), blockedBy: 0 };
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const { state, readers, queue, expiry } = readWriteKeys(this.backend, redisKeys[0]!);
    const command = this.backend.isCluster ? CMD.releaseSharded : CMD.release;
    return toOwned(await this.commands[command](state, readers, queue, expiry, token));
  }

  async extend(request: ExtendRequest): Promise<OwnedResult> {
    return (await this.extendMany([request]))[0]!;
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return extendInBatches(requests, this.backend.isCluster, (batch) =>
      this.commands[CMD.extend](
        batch.length * 2,
        ...batch.flatMap((r) => {
          const { state, readers } = readWriteKeys(this.backend, r.redisKeys[0]!);
          return [state, readers];
        }),
        ...batch.flatMap((r) => [r.token, r.ttl]),
      ),
    );
  }

  channelFor(redisKey: string): string {
    return this.backend.channelFor(redisKey);
  }
}
