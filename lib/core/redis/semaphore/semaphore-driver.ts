import type { LockConnection } from '../connection/lock-connection.interface.js';
import { SemaphoreLimitMismatchError } from '../../errors/semaphore-limit-mismatch.error.js';
import {
  SEMAPHORE_ACQUIRE_SCRIPT,
  SEMAPHORE_EXTEND_SCRIPT,
  semaphoreReleaseScript,
} from './semaphore.script.js';
import type {
  AcquireReply,
  ExtendRequest,
  LeaseParams,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { toOwned } from '../../backend/owned-result.util.js';
import type { RedisKeyspace } from '../redis-keyspace.js';
import { extendInBatches, mainKeys, tokensAndTtls } from '../extend-in-batches.util.js';
import { ScriptLeaseDriver } from '../script-lease-driver.js';

interface SemaphoreScripts {
  acquire(key: string, ...args: Array<string | number>): Promise<number[]>;
  extend(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  release(key: string, mark: string, token: string): Promise<number>;
}

/**
 * Semaphore permits: one sorted set per semaphore (see the scripts), so every operation touches
 * one key and one Cluster slot. Permits carry no fencing token.
 * @internal
 */
export class SemaphoreDriver extends ScriptLeaseDriver<SemaphoreScripts> {
  constructor(client: LockConnection, keyspace: RedisKeyspace) {
    super(client, keyspace, {
      acquire: { name: 'SemaphoreAcquire', numberOfKeys: 1, lua: SEMAPHORE_ACQUIRE_SCRIPT },
      extend: { name: 'SemaphoreExtend', lua: SEMAPHORE_EXTEND_SCRIPT },
      release: { name: 'SemaphoreRelease', numberOfKeys: 2, lua: semaphoreReleaseScript },
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
    const [status, value, free] = await this.scripts.acquire(key, token, weight, limit, ttl);
    if (status === 1) return { acquired: true, fencingToken: 0, passOn: Number(free) > 0 };
    if (status === -1) {
      throw new SemaphoreLimitMismatchError(this.keyspace.userKey(key), limit, Number(value));
    }
    return this.denied(value);
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const key = redisKeys[0]!;
    return toOwned(await this.scripts.release(key, this.keyspace.markKey(key, token), token));
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return extendInBatches(requests, this.keyspace, (batch) =>
      this.scripts.extend(batch.length, ...mainKeys(batch), ...tokensAndTtls(batch)),
    );
  }
}
