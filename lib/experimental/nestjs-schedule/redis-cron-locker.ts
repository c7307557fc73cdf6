import { InvalidLockOptionsError } from '../../core/errors/invalid-lock-options.error.js';
import type { Lock } from '../../core/lock.js';
import { LockManager } from '../../core/lock-manager.js';
import { describeValue } from '../../core/options/describe-value.util.js';
import {
  assertKnownOptions,
  MAX_TIMER_MS,
  validateOptionsObject,
} from '../../core/options/validation.js';
import type { CronLocker } from './cron-locker.interface.js';
import type { RedisCronLockerOptions } from './redis-cron-locker-options.interface.js';

/**
 * **Experimental**: the `CronLocker` of `@nestjs/schedule` on this library's `LockManager`, so
 * a job marked `{ distributed: true }` runs on one instance per tick. That locker interface is
 * on `@nestjs/schedule`'s main branch, not in a published version yet: this class follows it
 * and may change, within minor versions, to follow the released one. Exported from
 * `nestjs-redis-lock/experimental` only.
 *
 * `tryAcquire(key, ttlMs)` makes a single attempt (it never waits) on the lock
 * `<keyPrefix><key>` for `ttlMs` ms, not renewed: `ttlMs` bounds how long the job may rely on
 * it. `release(key)` gives the lock back once the job finished (with `lockAtLeastFor`, not
 * before that long after it was taken, so that instances whose tick fires a little later skip
 * it instead of running the job again); it rejects with
 * `LockLostError` when the job outlived `ttlMs` (the lock had expired, and another instance may
 * have run the job meanwhile), which `@nestjs/schedule` logs as a warning. When a job's runs
 * overlap in one process, each `release(key)` gives back the oldest lock still taken for `key`,
 * never one taken after it. Everything else is the manager's: its `keyPrefix`, events,
 * OpenTelemetry, fencing tokens, topology (single Redis, Sentinel, Cluster, Redlock quorum).
 *
 * @example
 * import { ScheduleModule } from '@nestjs/schedule';
 * import { LockManager, RedisLockModule } from 'nestjs-redis-lock';
 * import { RedisCronLocker } from 'nestjs-redis-lock/experimental';
 *
 * @Module({
 *   imports: [
 *     RedisLockModule.forRoot({ url: process.env.REDIS_URL }),
 *     ScheduleModule.forRootAsync({
 *       inject: [LockManager],
 *       useFactory: (manager: LockManager) => ({
 *         distributed: { locker: new RedisCronLocker(manager, { lockAtLeastFor: 5_000 }) },
 *       }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 *
 * // Then: @Cron('0 * * * * *', { name: 'settle', distributed: true, lockTtlMs: 50_000 })
 * @experimental
 * @publicApi
 */
export class RedisCronLocker implements CronLocker {
  private readonly prefix: string;
  private readonly lockAtLeastFor: number;
  /** Per job key, the locks taken and not given back yet, oldest first. */
  private readonly held = new Map<string, Array<{ lock: Lock; takenAt: number }>>();

  /**
   * @param manager the manager whose Redis holds the job locks (the one `RedisLockModule`
   *   provides, or your own); the locker never closes it
   * @param options `keyPrefix` (default `'cron:'`), `lockAtLeastFor` (default 0)
   * @throws InvalidLockOptionsError for an invalid manager or option
   */
  constructor(
    private readonly manager: LockManager,
    options?: RedisCronLockerOptions,
  ) {
    if (!(manager instanceof LockManager)) {
      throw new InvalidLockOptionsError(
        'manager',
        `RedisCronLocker needs a LockManager (inject it from RedisLockModule, or create one with new LockManager(redis)), but received ${describeValue(manager)}.`,
      );
    }
    const input = validateOptionsObject(options, 'RedisCronLocker') as RedisCronLockerOptions;
    assertKnownOptions(input, ['keyPrefix', 'lockAtLeastFor'], 'RedisCronLocker');
    const prefix = input.keyPrefix ?? 'cron:';
    if (typeof prefix !== 'string') {
      throw new InvalidLockOptionsError(
        'keyPrefix',
        `RedisCronLocker option keyPrefix must be a string, but received ${describeValue(prefix)}.`,
      );
    }
    this.prefix = prefix;
    const atLeast = input.lockAtLeastFor ?? 0;
    if (
      typeof atLeast !== 'number' ||
      !Number.isInteger(atLeast) ||
      atLeast < 0 ||
      atLeast > MAX_TIMER_MS
    ) {
      throw new InvalidLockOptionsError(
        'lockAtLeastFor',
        `RedisCronLocker option lockAtLeastFor must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, but received ${describeValue(atLeast)}.`,
      );
    }
    this.lockAtLeastFor = atLeast;
  }

  /**
   * Takes the job's lock for `ttlMs` ms if no instance holds it: `true` when this instance
   * should run the job, `false` to skip this tick. One round trip; it never waits.
   * @throws InvalidLockOptionsError for an invalid key or ttl (before any Redis call)
   * @throws LockBackendError when Redis fails (a failure is never reported as "held")
   */
  async tryAcquire(key: string, ttlMs: number): Promise<boolean> {
    if (typeof key !== 'string') {
      throw new InvalidLockOptionsError(
        'key',
        `RedisCronLocker.tryAcquire() needs the job's key, a string, but received ${describeValue(key)}.`,
      );
    }
    const lock = await this.manager.tryAcquire(this.prefix + key, {
      ttl: ttlMs,
      autoExtend: false,
    });
    if (!lock) return false;
    // After the reply: the hold lasts at least lockAtLeastFor from Redis's grant.
    const takenAt = performance.now();
    const locks = this.held.get(key);
    if (locks) locks.push({ lock, takenAt });
    else this.held.set(key, [{ lock, takenAt }]);
    return true;
  }

  /**
   * Gives back the oldest lock this locker took for `key` and has not given back; nothing when
   * there is none. Within `lockAtLeastFor` of its acquisition, the release is scheduled for the
   * end of that time and this resolves at once.
   * @throws LockLostError when that lock had expired (the job outlived its ttl)
   * @throws LockBackendError when Redis did not confirm; the lock then expires by itself
   */
  async release(key: string): Promise<void> {
    const locks = this.held.get(key);
    const entry = locks?.shift();
    if (!entry) return;
    if (locks!.length === 0) this.held.delete(key);
    const { lock, takenAt } = entry;
    // Never past its validity: a lease that ends unreleased is reported lost.
    const hold = Math.min(
      takenAt + this.lockAtLeastFor - performance.now(),
      lock.remainingTime * 0.9,
    );
    if (hold <= 0 || !lock.isHeld) return lock.release();
    // The manager's close() gives it back sooner; its loss is its own to report then.
    setTimeout(() => void lock.release().catch(() => undefined), hold).unref();
  }
}
