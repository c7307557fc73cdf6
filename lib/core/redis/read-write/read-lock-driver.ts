import type { LockConnection } from '../connection/lock-connection.interface.js';
import { READ_EXTEND_SCRIPT, readAcquireScript, readReleaseScript } from './read-lock.script.js';
import type {
  AcquireReply,
  ExtendRequest,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { toOwned } from '../../backend/owned-result.util.js';
import type { RedisKeyspace } from '../redis-keyspace.js';
import { readWriteKeys } from './read-write-keys.util.js';
import { extendInBatches, tokensAndTtls } from '../extend-in-batches.util.js';
import { ScriptLeaseDriver } from '../script-lease-driver.js';

interface ReadScripts {
  acquire(...keysAndArgs: Array<string | number>): Promise<number[]>;
  extend(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
  release(...keysAndArgs: string[]): Promise<number>;
}

/**
 * The read side of read-write locks: each reader has its own expiry in the lock's readers set.
 * A reader that gets in passes the wakeup on, so the readers waiting in one process all follow.
 * @internal
 */
export class ReadLockDriver extends ScriptLeaseDriver<ReadScripts> {
  constructor(client: LockConnection, keyspace: RedisKeyspace) {
    super(client, keyspace, {
      acquire: { name: 'ReadAcquire', numberOfKeys: 4, lua: readAcquireScript },
      extend: { name: 'ReadExtend', lua: READ_EXTEND_SCRIPT },
      release: { name: 'ReadRelease', numberOfKeys: 5, lua: readReleaseScript },
    });
  }

  async acquire(redisKeys: readonly string[], token: string, ttl: number): Promise<AcquireReply> {
    const { state, readers, queue, expiry } = readWriteKeys(this.keyspace, redisKeys[0]!);
    const [acquired, value] = await this.scripts.acquire(state, readers, queue, expiry, token, ttl);
    if (acquired === 1) return { acquired: true, fencingToken: 0, passOn: true };
    return this.denied(value);
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const { state, readers, queue, expiry } = readWriteKeys(this.keyspace, redisKeys[0]!);
    const mark = this.keyspace.markKey(state, token);
    return toOwned(
      await this.scripts.release(state, readers, queue, expiry, mark, token, this.releaseMark),
    );
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return extendInBatches(requests, this.keyspace, (batch) =>
      this.scripts.extend(
        batch.length * 2,
        ...batch.flatMap((r) => {
          const { state, readers } = readWriteKeys(this.keyspace, r.redisKeys[0]!);
          return [state, readers];
        }),
        ...tokensAndTtls(batch),
      ),
    );
  }
}
