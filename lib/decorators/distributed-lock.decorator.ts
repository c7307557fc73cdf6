import type { Observable } from 'rxjs';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import type { LockKey } from '../core/lock-manager.js';
import { describeValue } from '../core/options/describe-value.util.js';
import { validateBoolean } from '../core/options/validation.js';
import type { DistributedLockOptions } from '../interfaces/distributed-lock-options.interface.js';
import { compileLockKey, type LockKeySource } from '../key/lock-key-template.js';
import { DISTRIBUTED_LOCK_METADATA } from '../redis-lock.constants.js';
import type { LeaseTarget } from '../service/lease-target.interface.js';
import { validateLeaseMethodSettings } from './lease-method/lease-method-settings.js';
import { wrapLeaseMethod } from './wrap-lease-method.util.js';

/**
 * A method `@DistributedLock` can wrap: it returns a Promise (an `async` method) or an rxjs
 * Observable. The lock is taken asynchronously, so a decorated method always answers
 * asynchronously.
 * @publicApi
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LockableMethod = (...args: any[]) => PromiseLike<unknown> | Observable<unknown>;

/**
 * Runs the method under a distributed lock whose key comes from the method's arguments: the
 * lock is taken before the method runs, renewed while it runs, and released when it settles
 * (when an Observable completes, errors or is unsubscribed). Works on controllers, providers,
 * gateways and microservice handlers, whatever the order of the other decorators.
 *
 * Keys:
 * - a template: `'order:<orderId>'` (a parameter by name), `'order:<0>'` (by position),
 *   `'order:<dto.customer.id>'` or `'order:<0.customer.id>'` (a property path). Angle brackets,
 *   so a Cluster hash tag can stand in the key: `'{tenant:<tenantId>}:order:<id>'`;
 * - a list of templates for a multi-key lock, taken all or none in a fixed order:
 *   `['account:<from>', 'account:<to>']`;
 * - a function of the arguments: `(orderId: string) => \`order:${orderId}\``, typed against the
 *   method with `@DistributedLock<OrdersService['buy']>((orderId, dto) => ...)`.
 *
 * Templates are checked when the class is defined. At call time, an argument that is
 * `undefined`, `null`, empty, an object or an array rejects with `LockKeyError` and the method
 * does not run: no lock is ever taken on `order:undefined`.
 *
 * What callers see when things go wrong, wherever the decorator sits (a route, or a service
 * method a controller, resolver, gateway or message handler calls): a lock held by someone
 * else after `waitTimeout` follows `onLocked` (by default a `LockTimeoutError`: 409 Conflict,
 * GraphQL/RPC/WebSocket code `CONFLICT`); a Redis failure always rejects (503 Service
 * Unavailable with `Retry-After`, code `SERVICE_UNAVAILABLE`, and an error in the log naming
 * the cause); a key the arguments cannot build is 400 (`BAD_REQUEST`). Clients get a neutral
 * message; the method, key and placeholder go to the log. `mapErrors` changes or turns off
 * these answers.
 *
 * A lock lost while the method runs aborts the method's `signal` (`current().signal`) at once;
 * when the method returns anyway, `onLost` decides: by default its result is discarded and the
 * call rejects with `LockLostError` (503), as `RedisLockService.withLock` does; `'ignore'`
 * returns the result; a function decides from it.
 *
 * With `mode: 'read'` or `'write'` the method holds one side of a read-write lock on the key
 * (many readers or one writer); with `fair: true` it waits for the lock in arrival order. Both
 * take one key.
 *
 * @param key the lock key: template, list of templates, or function of the arguments
 * @param options ttl, waitTimeout, autoExtend (default true), onLocked, onLost, reentrant,
 *   mapErrors, mode, fair
 * @example
 * @Post(':productId/orders')
 * @DistributedLock('stock:<productId>', { waitTimeout: 2_000 })
 * async buy(@Param('productId') productId: string) { ... }
 *
 * @Cron('0 * * * * *')
 * @DistributedLock('job:settle-orders', { onLocked: 'skip' })
 * async settle() { ... }
 *
 * @Get(':month')
 * @DistributedLock('report:<month>', { mode: 'read' })
 * async report(@Param('month') month: string) { ... }
 *
 * // Long work: stop when the lock is lost; the caller then gets the LockLostError (503).
 * @DistributedLock('import:<feed>', { ttl: 10_000 })
 * async import(feed: string) {
 *   const { signal } = this.locks.current()!;
 *   for (const page of await this.pages(feed)) {
 *     signal.throwIfAborted();
 *     await this.save(page, { signal });
 *   }
 * }
 * @publicApi
 */
export function DistributedLock<M extends LockableMethod = LockableMethod>(
  key: LockKeySource<Parameters<M>>,
  options?: DistributedLockOptions<Parameters<M>>,
): <T extends M>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void {
  const compiled = compileLockKey(key);
  const { input, settings } = validateLeaseMethodSettings(options, '@DistributedLock', [
    'mode',
    'fair',
  ]);
  const { mode, fair, kind } = readLockMode(input, key);

  return (target, propertyKey, descriptor) =>
    wrapLeaseMethod(
      {
        decorator: '@DistributedLock',
        key: compiled,
        settings,
        // Only what the caller set: left out, the module's `fair` decides.
        acquire: fair === undefined || kind !== 'lock' ? {} : { fair },
        target: (resolved: LockKey): LeaseTarget => {
          if (kind === 'lock') return { kind, key: resolved };
          if (typeof resolved !== 'string') {
            throw new InvalidLockOptionsError(
              'key',
              `mode: '${mode}' takes one key, but the key function returned a list.`,
            );
          }
          return { kind, key: resolved };
        },
        metadataKey: DISTRIBUTED_LOCK_METADATA,
        metadata: {
          key: compiled.description,
          options: Object.freeze({
            ...settings,
            ...(mode !== undefined && { mode }),
            ...(fair !== undefined && { fair }),
          }),
        },
      },
      target,
      propertyKey,
      descriptor as TypedPropertyDescriptor<unknown>,
    );
}

/** The primitive a `@DistributedLock` takes, from its `mode` and `fair` options. */
function readLockMode(
  input: Record<string, unknown>,
  key: unknown,
): {
  mode: 'read' | 'write' | undefined;
  fair: boolean | undefined;
  kind: 'lock' | 'read-lock' | 'write-lock';
} {
  const { mode } = input;
  if (mode !== undefined && mode !== 'read' && mode !== 'write') {
    throw new InvalidLockOptionsError(
      'mode',
      `@DistributedLock option mode must be 'read' or 'write' (a side of a read-write lock), or left out for a plain lock, but received ${describeValue(mode)}.`,
    );
  }
  const fair = input.fair === undefined ? undefined : validateBoolean(input.fair, 'fair');
  if (fair === true && mode !== undefined) {
    throw new InvalidLockOptionsError(
      'fair',
      '@DistributedLock options fair and mode do not combine: the writers of a read-write lock already queue in arrival order. Drop fair.',
    );
  }
  if (Array.isArray(key) && (fair === true || mode !== undefined)) {
    throw new InvalidLockOptionsError(
      mode !== undefined ? 'mode' : 'fair',
      `@DistributedLock with ${mode !== undefined ? `mode: '${mode}'` : 'fair: true'} takes one key, but received a list of ${key.length}. Lock one parent key instead.`,
    );
  }
  const kind = mode === 'read' ? 'read-lock' : mode === 'write' ? 'write-lock' : 'lock';
  return { mode, fair, kind };
}
