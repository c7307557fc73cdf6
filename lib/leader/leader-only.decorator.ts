import { Inject } from '@nestjs/common';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { describeValue } from '../core/options/describe-value.util.js';
import {
  assertKnownOptions,
  validateKey,
  validateOptionsObject,
  validateTtl,
} from '../core/options/validation.js';
import type { AnyFunction } from '../utils/any-function.type.js';
import { copyMethodMetadata } from '../utils/copy-method-metadata.util.js';
import {
  LEADER_ELECTIONS_METADATA,
  LEADER_ONLY_METADATA,
  LEADER_SERVICE_PROPERTY,
} from './leader.constants.js';
import { LeaderServiceUnavailableError } from './leader-service-unavailable.error.js';
import type { LeaderOnlyMetadata, LeaderOnlyOptions } from './leader-only-options.interface.js';
import { LeaderService } from './leader.service.js';

// No key of the longest accepted length is a mistake here; the engine checks its own limit.
const MAX_NAME_LENGTH = 1_000;
const injected = new WeakSet<object>();

/**
 * Runs the method only on the instance that leads the election `name`, and skips it (returns
 * `undefined`, without calling it) everywhere else. `RedisLockModule` runs for leader of every
 * name used by a `@LeaderOnly` method of its application from bootstrap to shutdown: exactly one
 * instance leads while it stays healthy; when it dies or is cut off from Redis another leads
 * within the election's ttl; on `app.close()` it steps down first. Works with `@Cron`,
 * `@Interval` and other decorators in any order.
 *
 * Leadership is checked when the method is called: work that runs long should watch the
 * term's signal (`LeaderService.term(name)?.signal`) and mark what it writes with
 * `term.fencingToken`, which grows with every term.
 *
 * @param name the election, and the key of its leader lock, for example `'jobs:billing'`
 * @param options `ttl` of the leader lock (default: the module's)
 * @example
 * @Cron(CronExpression.EVERY_MINUTE)
 * @LeaderOnly('jobs:billing')
 * async chargeDueInvoices() {
 *   const { signal, fencingToken } = this.leader.term('jobs:billing')!;
 *   await this.billing.chargeDue({ signal, fencingToken });
 * }
 * @publicApi
 */
export function LeaderOnly(
  name: string,
  options?: LeaderOnlyOptions,
): (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => void {
  validateKey(name, MAX_NAME_LENGTH);
  const input = validateOptionsObject(options, '@LeaderOnly') as LeaderOnlyOptions;
  assertKnownOptions(input, ['ttl'], '@LeaderOnly');
  const ttl = input.ttl === undefined ? undefined : validateTtl(input.ttl);

  return (target, propertyKey, descriptor) => {
    const owner = typeof target === 'function' ? target : target.constructor;
    const label = `${owner.name}.${String(propertyKey)}()`;
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw new InvalidLockOptionsError(
        'target',
        `@LeaderOnly decorates methods, but ${label} is ${describeValue(original)}.`,
      );
    }
    if (typeof target === 'function') {
      throw new InvalidLockOptionsError(
        'target',
        `@LeaderOnly decorates instance methods, but ${label} is static: Nest creates no instance to run it on.`,
      );
    }
    const metadata: LeaderOnlyMetadata = { name, ttl, method: label };
    const method = original as AnyFunction;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const service =
        this !== null && typeof this === 'object'
          ? (this as Record<symbol, LeaderService | undefined>)[LEADER_SERVICE_PROPERTY]
          : undefined;
      if (!service) throw new LeaderServiceUnavailableError(label);
      return service.isLeader(name) ? method.apply(this, args) : undefined;
    };
    copyMethodMetadata(method, wrapper);
    Reflect.defineMetadata(LEADER_ONLY_METADATA, metadata, wrapper);
    descriptor.value = wrapper;
    const elections: LeaderOnlyMetadata[] =
      Reflect.getOwnMetadata(LEADER_ELECTIONS_METADATA, owner) ?? [];
    Reflect.defineMetadata(LEADER_ELECTIONS_METADATA, [...elections, metadata], owner);
    if (!injected.has(target)) {
      injected.add(target);
      Inject(LeaderService)(target, LEADER_SERVICE_PROPERTY);
    }
  };
}
