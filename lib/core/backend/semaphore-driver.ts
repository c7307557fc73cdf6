import { SemaphoreLimitMismatchError } from '../errors/semaphore-limit-mismatch.error.js';
import {
  SEMAPHORE_ACQUIRE_SCRIPT,
  SEMAPHORE_EXTEND_SCRIPT,
  semaphoreReleaseScript,
} from '../scripts/semaphore.script.js';
import type { LeaseDriver, LeaseParams } from './lease-driver.interface.js';
import type { AcquireReply, ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';
import type { RedisBackend } from './redis-backend.js';
import { defineCommandsOnce, extendInBatches } from './script-commands.util.js';

const CMD = {
  acquire: 'redisLockSemaphoreAcquireV1',
  extend: 'redisLockSemaphoreExtendV1',
  release: 'redisLockSemaphoreReleaseV1',
  releaseSharded: 'redisLockSemaphoreReleaseShardedV1',
} as const;

interface SemaphoreCommands {
  [CMD.acquire](key: string, ...args: Array<string | number>): Promise<number[]>;
  [CMD.extend](numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  [CMD.release](key: string, token: string): Promise<number>;
  [CMD.releaseSharded](key: string, token: string): Promise<number>;
}

/**
 * Semaphore permits: one sorted set per semaphore (see the scripts), so every operation touches
 * one key and one Cluster slot. Permits carry no fencing token.
 * @internal
 */
export class SemaphoreDriver implements LeaseDriver {
  private readonly commands: SemaphoreCommands;

  constructor(private readonly backend: RedisBackend) {
    this.commands = defineCommandsOnce<SemaphoreCommands>(backend.client, 'semaphore', {
      [CMD.acquire]: { numberOfKeys: 1, lua: SEMAPHORE_ACQUIRE_SCRIPT },
      [CMD.extend]: { lua: SEMAPHORE_EXTEND_SCRIPT },
      [CMD.release]: { numberOfKeys: 1, lua: semaphoreReleaseScript('PUBLISH') },
      [CMD.releaseSharded]: { numberOfKeys: 1, lua: semaphoreReleaseScript('SPUBLISH') },
    });
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    _owner: string,
    params?: LeaseParams,
  ): Promise<AcquireReply> {
    const key = redisKeys[0]!;
    const { weight, limit } = params!;
    const [status, value, free] = await this.commands[CMD.acquire](key, token, weight, limit, ttl);
    if (status === 1) return { acquired: true, fencingToken: 0, passOn: Number(free) > 0 };
    if (status === -1) {
      throw new SemaphoreLimitMismatchError(this.backend.userKey(key), limit, Number(value));
    }
    return { acquired: false, holderTtl: Number(value), blockedBy: 0 };
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const command = this.backend.isCluster ? CMD.releaseSharded : CMD.release;
    return toOwned(await this.commands[command](redisKeys[0]!, token));
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
