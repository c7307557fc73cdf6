import type { LockConnection } from '../connection/lock-connection.interface.js';
import { leaveQueueScript } from './leave-queue.script.js';
import {
  WRITE_EXTEND_SCRIPT,
  writeAcquireScript,
  writeReleaseScript,
} from './write-lock.script.js';
import type {
  AcquireReply,
  ExtendRequest,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { toOwned } from '../../backend/owned-result.util.js';
import { readWriteKeys } from './read-write-keys.util.js';
import type { RedisKeyspace } from '../redis-keyspace.js';
import { extendInBatches, mainKeys, tokensAndTtls } from '../extend-in-batches.util.js';
import { ScriptLeaseDriver } from '../script-lease-driver.js';

interface WriteScripts {
  acquire(...keysAndArgs: Array<string | number>): Promise<number[]>;
  extend(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  release(...keysAndArgs: string[]): Promise<number>;
  leave(numKeys: number, ...keysAndArgs: string[]): Promise<number>;
}

/**
 * The write side of read-write locks: writers wait in a queue (arrival order among writers, and
 * a waiting writer keeps new readers out), and get a fencing token from the slot's counter.
 * @internal
 */
export class WriteLockDriver extends ScriptLeaseDriver<WriteScripts> {
  readonly addressed = true;

  constructor(
    client: LockConnection,
    keyspace: RedisKeyspace,
    /** How long a queued writer keeps its place without renewing it, in milliseconds. */
    private readonly placeTtl: number,
  ) {
    super(client, keyspace, {
      acquire: { name: 'WriteAcquire', numberOfKeys: 5, lua: writeAcquireScript },
      extend: { name: 'WriteExtend', lua: WRITE_EXTEND_SCRIPT },
      release: { name: 'WriteRelease', numberOfKeys: 4, lua: writeReleaseScript },
      leave: { name: 'LeaveQueue', lua: leaveQueueScript },
    });
  }

  /** Grants to this manager's writers come on its own channel of the writers' queue. */
  waiterChannelFor(stateKey: string, hubId: string): string {
    return this.keyspace.waiterChannel(readWriteKeys(this.keyspace, stateKey).queue, hubId);
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
    _params?: unknown,
    waiter = '',
  ): Promise<AcquireReply> {
    const { state, readers, queue, expiry } = readWriteKeys(this.keyspace, redisKeys[0]!);
    const [acquired, value] = await this.scripts.acquire(
      state,
      readers,
      queue,
      expiry,
      this.keyspace.fenceKeyFor(state),
      token,
      ttl,
      owner,
      this.placeTtl,
      waiter,
    );
    if (acquired === 1) return { acquired: true, fencingToken: Number(value) };
    return this.denied(value);
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const { state, queue, expiry } = readWriteKeys(this.keyspace, redisKeys[0]!);
    const mark = this.keyspace.markKey(state, token);
    return toOwned(await this.scripts.release(state, queue, expiry, mark, token, this.releaseMark));
  }

  async abandon(redisKeys: readonly string[], token: string): Promise<void> {
    const { state, readers, queue, expiry } = readWriteKeys(this.keyspace, redisKeys[0]!);
    await this.scripts.leave(4, state, queue, expiry, readers, token, 'w');
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return extendInBatches(requests, this.keyspace, (batch) =>
      this.scripts.extend(batch.length, ...mainKeys(batch), ...tokensAndTtls(batch)),
    );
  }
}
