import type { LockConnection } from '../connection/lock-connection.interface.js';
import type {
  AcquireReply,
  ExtendRequest,
  LeaseDriver,
  OwnedResult,
} from '../../backend/lease-driver.interface.js';
import { toOwned } from '../../backend/owned-result.util.js';
import type { RedisKeyspace } from '../redis-keyspace.js';
import { ScriptLeaseDriver } from '../script-lease-driver.js';
import { fairAcquireScript } from './fair-acquire.script.js';
import { fairLeaveScript } from './fair-leave.script.js';
import { fairReleaseScript } from './fair-release.script.js';

interface FairScripts {
  acquire(...keysAndArgs: Array<string | number>): Promise<Array<number | string>>;
  release(...keysAndArgs: Array<string | number>): Promise<number>;
  leave(...keysAndArgs: Array<string | number>): Promise<number>;
}

/**
 * Fair locks: the same lock hash as a plain lock (fair and plain callers of a key exclude each
 * other), plus a queue in the lock's slot that decides who goes next. A release hands the lock
 * straight to the first waiter (see hand-off.lua.ts). Renewal is a plain lock's; acquire,
 * release and giving up go through the queue.
 *
 * A plain caller of the same key does not look at the queue, so it can get in ahead of the
 * queued waiters: use `fair: true` on every acquire of a key whose order matters.
 * @internal
 */
export class FairLockDriver extends ScriptLeaseDriver<FairScripts> {
  readonly addressed = true;
  /**
   * A lock granted to this manager's waiter lasts until the waiter's place ends (its last
   * attempt plus its place ttl), until the waiter confirms it: at least this long from the
   * sending of that attempt.
   */
  readonly grantTtl: number;

  constructor(
    client: LockConnection,
    keyspace: RedisKeyspace,
    /** How long a queued waiter keeps its place without renewing it, in milliseconds. */
    private readonly placeTtl: number,
    /** The plain locks' driver: a held fair lock is a plain lock, renewed the same way. */
    private readonly plain: LeaseDriver,
  ) {
    super(client, keyspace, {
      acquire: { name: 'FairAcquire', numberOfKeys: 4, lua: fairAcquireScript },
      release: { name: 'FairRelease', numberOfKeys: 5, lua: fairReleaseScript },
      leave: { name: 'FairLeave', numberOfKeys: 4, lua: fairLeaveScript },
    });
    this.grantTtl = placeTtl;
  }

  /** Grants to this manager's waiters come on its own channel of the lock's queue. */
  waiterChannelFor(lockKey: string, hubId: string): string {
    return this.keyspace.waiterChannel(this.queueKeys(lockKey)[0], hubId);
  }

  private queueKeys(lockKey: string): [string, string] {
    return this.keyspace.waitQueue(lockKey, 'queue');
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
    _params?: unknown,
    waiter = '',
  ): Promise<AcquireReply> {
    const lockKey = redisKeys[0]!;
    const [acquired, value, , holderFence] = await this.scripts.acquire(
      lockKey,
      this.keyspace.fenceKeyFor(lockKey),
      ...this.queueKeys(lockKey),
      token,
      ttl,
      owner,
      this.placeTtl,
      waiter,
    );
    if (acquired === 1) return { acquired: true, fencingToken: Number(value) };
    return {
      acquired: false,
      holderTtl: Number(value),
      blockedBy: 0,
      holderFence: Number(holderFence ?? 0),
    };
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const lockKey = redisKeys[0]!;
    return toOwned(
      await this.scripts.release(
        lockKey,
        ...this.queueKeys(lockKey),
        this.keyspace.markKey(lockKey, token),
        this.keyspace.fenceKeyFor(lockKey),
        token,
        this.releaseMark,
      ),
    );
  }

  async abandon(redisKeys: readonly string[], token: string): Promise<void> {
    const lockKey = redisKeys[0]!;
    await this.scripts.leave(
      lockKey,
      ...this.queueKeys(lockKey),
      this.keyspace.fenceKeyFor(lockKey),
      token,
    );
  }

  // A held fair lock is a plain lock: renewed the same way.
  override extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.plain.extend(request);
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return this.plain.extendMany(requests);
  }
}
