import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { LockManager } from '../core/lock-manager.js';
import { describeValue } from '../core/options/describe-value.util.js';
import type { RedisLockHealthOptions } from './redis-lock-health-options.interface.js';

/**
 * A `@nestjs/terminus` health indicator for the locks: whether they can be taken right now.
 *
 * It probes every Redis server the module locks on, each bounded by `timeout`: `PING` (its
 * round trip is reported), then `SCRIPT LOAD` of the acquire script (a server that refuses
 * scripts, by ACL for instance, cannot lock). It is `down` when the single server (or the
 * master a Sentinel client follows) does not answer, when any Redis Cluster master does not,
 * or when fewer than a majority of a quorum's masters do; the result names the servers and
 * what each answered, and `message` says what is wrong in one sentence.
 *
 * Add it to the providers of the module that has your health controller (with
 * `TerminusModule` imported); it uses the `LockManager` of `RedisLockModule`.
 *
 * @example
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly locks: RedisLockHealthIndicator,
 *   ) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.locks.isHealthy('locks', { timeout: 500 })]);
 *   }
 * }
 * @publicApi
 */
@Injectable()
export class RedisLockHealthIndicator {
  constructor(
    private readonly manager: LockManager,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /**
   * Probes Redis and reports under `key`: `{ status, topology, nodes: [{ node, up,
   * roundTripMs, scripts, error? }], quorum? }`, plus `message` when down.
   *
   * @param key the name of this indicator in the health report
   * @param options `timeout` per probe in milliseconds (default 1000)
   * @throws InvalidLockOptionsError for an invalid key or option, before any Redis call
   */
  async isHealthy<const Key extends string = 'redis-lock'>(
    key: Key = 'redis-lock' as Key,
    options?: RedisLockHealthOptions,
  ): Promise<HealthIndicatorResult<Key>> {
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidLockOptionsError(
        'key',
        `RedisLockHealthIndicator.isHealthy() needs the name of the indicator in the report, a non-empty string such as 'redis-lock', but received ${describeValue(key)}.`,
      );
    }
    const health = await this.manager.checkHealth(options);
    const indicator = this.indicators.check(key);
    const details = {
      topology: health.topology,
      nodes: health.nodes.map((node) => ({ ...node })),
      ...(health.quorum && { quorum: { ...health.quorum } }),
    };
    return health.healthy
      ? indicator.up(details)
      : indicator.down({ message: health.error ?? 'Locks cannot be taken.', ...details });
  }
}
