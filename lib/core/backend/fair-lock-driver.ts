import { fairAcquireScript } from '../scripts/fair-acquire.script.js';
import { fairReleaseScript } from '../scripts/fair-release.script.js';
import { leaveQueueScript } from '../scripts/leave-queue.script.js';
import type { AcquireReply, ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';
import type { RedisBackend } from './redis-backend.js';
import { ScriptLeaseDriver } from './script-lease-driver.js';

interface FairScripts {
  acquire(...keysAndArgs: Array<string | number>): Promise<number[]>;
  release(...keysAndArgs: string[]): Promise<number>;
  leave(numKeys: number, ...keysAndArgs: string[]): Promise<number>;
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
export class FairLockDriver extends ScriptLeaseDriver<FairScripts> {
  readonly addressed = true;

  constructor(
    backend: RedisBackend,
    private readonly placeTtl: number,
  ) {
    super(backend, {
      acquire: { name: 'FairAcquire', numberOfKeys: 4, lua: fairAcquireScript },
      release: { name: 'FairRelease', numberOfKeys: 4, lua: fairReleaseScript },
      leave: { name: 'LeaveQueue', lua: leaveQueueScript },
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
    const [acquired, value] = await this.scripts.acquire(
      lockKey,
      this.backend.fenceKeyFor(lockKey),
      ...this.queueKeys(lockKey),
      token,
      ttl,
      owner,
      this.placeTtl,
    );
    if (acquired === 1) return { acquired: true, fencingToken: Number(value) };
    return this.denied(value);
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const lockKey = redisKeys[0]!;
    return toOwned(
      await this.scripts.release(
        lockKey,
        ...this.queueKeys(lockKey),
        this.backend.markKey(lockKey, token),
        token,
      ),
    );
  }

  async abandon(redisKeys: readonly string[], token: string): Promise<void> {
    const lockKey = redisKeys[0]!;
    await this.scripts.leave(3, lockKey, ...this.queueKeys(lockKey), token, 't');
  }

  // A held fair lock is a plain lock: renewed the same way.
  override extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.backend.extend(request);
  }

  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return this.backend.extendMany(requests);
  }
}
