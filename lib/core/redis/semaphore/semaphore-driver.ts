import type { LockConnection } from '../connection/lock-connection.interface.js';
import { SemaphoreLimitMismatchError } from '../../errors/semaphore-limit-mismatch.error.js';
import { semaphoreAcquireScript } from './semaphore-acquire.script.js';
import { SEMAPHORE_EXTEND_SCRIPT } from './semaphore-extend.script.js';
import { semaphoreLeaveScript } from './semaphore-leave.script.js';
import { semaphoreReleaseScript } from './semaphore-release.script.js';
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
  acquire(...keysAndArgs: Array<string | number>): Promise<Array<number | string>>;
  extend(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  release(...keysAndArgs: string[]): Promise<number>;
  leave(...keysAndArgs: string[]): Promise<number>;
}

/**
 * Semaphore permits: one sorted set per semaphore, and beside it, in its slot, the queue of the
 * callers that wait (see the scripts). A release hands the freed permits straight to the first
 * waiters, each told on its own manager's channel (see grant-queued.lua.ts); a semaphore nobody
 * waits for costs one round trip to take and one to release, as before it had a queue. Permits
 * carry no fencing token.
 * @internal
 */
export class SemaphoreDriver extends ScriptLeaseDriver<SemaphoreScripts> {
  readonly addressed = true;
  /**
   * Permits granted to this manager's waiter last until the waiter's place ends (its last
   * attempt plus its place ttl), until the waiter confirms them: at least this long from the
   * sending of that attempt.
   */
  readonly grantTtl: number;

  constructor(
    client: LockConnection,
    keyspace: RedisKeyspace,
    /** How long a queued waiter keeps its place without renewing it, in milliseconds. */
    private readonly placeTtl: number,
  ) {
    super(client, keyspace, {
      acquire: { name: 'SemaphoreAcquire', numberOfKeys: 3, lua: semaphoreAcquireScript },
      extend: { name: 'SemaphoreExtend', lua: SEMAPHORE_EXTEND_SCRIPT },
      release: { name: 'SemaphoreRelease', numberOfKeys: 4, lua: semaphoreReleaseScript },
      leave: { name: 'SemaphoreLeave', numberOfKeys: 3, lua: semaphoreLeaveScript },
    });
    this.grantTtl = placeTtl;
  }

  /** Grants to this manager's waiters come on its own channel of the semaphore's queue. */
  waiterChannelFor(semaphoreKey: string, hubId: string): string {
    return this.keyspace.waiterChannel(this.queueKeys(semaphoreKey)[0], hubId);
  }

  private queueKeys(semaphoreKey: string): [string, string] {
    return this.keyspace.waitQueue(semaphoreKey, 'waiters');
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    _owner: string,
    params?: LeaseParams,
    waiter = '',
  ): Promise<AcquireReply> {
    const key = redisKeys[0]!;
    const { weight, limit } = params!;
    const [status, value, clock] = await this.scripts.acquire(
      key,
      ...this.queueKeys(key),
      token,
      weight,
      limit,
      ttl,
      this.placeTtl,
      waiter,
    );
    if (status === 1) return { acquired: true, fencingToken: 0 };
    if (status === -1) {
      throw new SemaphoreLimitMismatchError(this.keyspace.userKey(key), limit, Number(value));
    }
    if (clock === undefined) return this.denied(value);
    // A grant announced to this waiter from now on carries a later clock than this.
    return { acquired: false, holderTtl: Number(value), blockedBy: 0, holderFence: Number(clock) };
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const key = redisKeys[0]!;
    return toOwned(
      await this.scripts.release(
        key,
        this.keyspace.markKey(key, token),
        ...this.queueKeys(key),
        token,
        this.releaseMark,
      ),
    );
  }

  async abandon(redisKeys: readonly string[], token: string): Promise<void> {
    const key = redisKeys[0]!;
    await this.scripts.leave(key, ...this.queueKeys(key), token);
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return extendInBatches(requests, this.keyspace, (batch) =>
      this.scripts.extend(batch.length, ...mainKeys(batch), ...tokensAndTtls(batch)),
    );
  }
}
