import { Inject } from '@nestjs/common';
import { from, isObservable, Observable, of, type Subscriber, type Subscription } from 'rxjs';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { LockAbortedError } from '../core/errors/lock-aborted.error.js';
import { LockLostError } from '../core/errors/lock-lost.error.js';
import { LockTimeoutError } from '../core/errors/lock-timeout.error.js';
import type { AcquireOptions } from '../core/interfaces/acquire-options.interface.js';
import type { SemaphoreAcquireOptions } from '../core/interfaces/semaphore-acquire-options.interface.js';
import type { LockKey } from '../core/lock-manager.js';
import { describeValue } from '../core/options/describe-value.util.js';
import {
  assertKnownOptions,
  validateBoolean,
  validateOptionsObject,
  validateTtl,
  validateWaitTimeout,
} from '../core/options/validation.js';
import { LockKeyError } from '../errors/lock-key.error.js';
import { LockServiceUnavailableError } from '../errors/lock-service-unavailable.error.js';
import type { MapLockErrors } from '../exceptions/lock-error-mapper.interface.js';
import { type LockErrorOrigin, markLockError } from '../exceptions/lock-error-origin.js';
import type {
  DistributedLockOptions,
  LockedContext,
  LostContext,
} from '../interfaces/distributed-lock-options.interface.js';
import { type CompiledLockKey, PARAMETER_NAMES } from '../key/lock-key-template.js';
import { readParameterNames } from '../key/parameter-names.util.js';
import { LOCK_SERVICE_PROPERTY } from '../redis-lock.internal-constants.js';
import { type LeaseTarget, type LockEntry, RedisLockService } from '../redis-lock.service.js';
import type { AnyFunction } from '../utils/any-function.type.js';
import { copyMethodMetadata } from '../utils/copy-method-metadata.util.js';

type OnLocked = NonNullable<DistributedLockOptions['onLocked']>;
type OnLost = NonNullable<DistributedLockOptions['onLost']>;

/**
 * The options common to `@DistributedLock` and `@DistributedSemaphore`, validated.
 * @internal
 */
export interface LeaseMethodSettings {
  readonly ttl?: number;
  readonly waitTimeout?: number;
  readonly autoExtend?: boolean;
  readonly onLocked?: OnLocked;
  readonly onLost?: OnLost;
  readonly reentrant?: boolean;
  readonly mapErrors?: MapLockErrors;
}

/**
 * How a decorator wraps a method: what the method holds while it runs, and how that is named.
 * @internal
 */
export interface LeaseMethodSpec {
  /** `@DistributedLock` or `@DistributedSemaphore`, for messages. */
  readonly decorator: string;
  readonly key: CompiledLockKey;
  readonly settings: LeaseMethodSettings;
  /** Acquire options of this primitive beyond the common ones (`fair`, `weight`). */
  readonly acquire: Readonly<
    Pick<AcquireOptions, 'fair'> & Pick<SemaphoreAcquireOptions, 'weight'>
  >;
  /** What to enter for a resolved key; throws (becoming a `LockKeyError`) when it cannot. */
  target(key: LockKey): LeaseTarget;
  readonly metadataKey: string;
  readonly metadata: unknown;
}

interface CallSettings {
  readonly acquire: AcquireOptions & SemaphoreAcquireOptions;
  readonly onLocked: OnLocked;
  readonly onLost: OnLost;
  readonly reentrant: boolean;
}

// Classes whose prototype already asks Nest for the service.
const injected = new WeakSet<object>();

/**
 * Wraps a decorated method so that it runs holding what `spec` describes: taken before the
 * method runs, renewed while it runs, released when it settles (when an Observable completes,
 * errors or is unsubscribed). All metadata of the original method is copied to the wrapper, so
 * routes, guards, `@Cron` and the like keep working whatever the decorator order.
 *
 * The errors it throws for its own lock carry their origin (see `markLockError`): the method,
 * for the log, and this decorator's `mapErrors`. It answers no transport itself: the module's
 * interceptor does, for the handler the error reaches, wherever the decorator sits.
 * @internal
 */
export function wrapLeaseMethod(
  spec: LeaseMethodSpec,
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<unknown>,
): void {
  const original = descriptor.value as unknown;
  const label = `${typeof target === 'function' ? target.name : target.constructor.name}.${String(propertyKey)}()`;
  if (typeof original !== 'function') {
    throw new InvalidLockOptionsError(
      'target',
      `${spec.decorator} decorates methods, but ${label} is ${describeValue(original)}.`,
    );
  }
  const method = original as AnyFunction;
  const resolveKey = spec.key.bind(method, label);
  const { settings } = spec;
  const returnType: unknown = Reflect.getMetadata('design:returntype', target, propertyKey);
  const observable = isObservableType(returnType);
  requestService(target);

  const origin: LockErrorOrigin = {
    decorator: spec.decorator,
    method: label,
    mapErrors: settings.mapErrors,
  };
  const own = <E>(error: E): E => markLockError(error, origin);

  const perService = new WeakMap<RedisLockService, CallSettings>();
  const callSettings = (service: RedisLockService): CallSettings => {
    let call = perService.get(service);
    if (!call) {
      const defaults = service.decoratorDefaults;
      const onLocked = settings.onLocked ?? defaults.onLocked;
      call = {
        acquire: {
          ...spec.acquire,
          ...(settings.ttl !== undefined && { ttl: settings.ttl }),
          // Skipping is for "someone else is doing it": do not wait for them by default.
          ...(settings.waitTimeout !== undefined
            ? { waitTimeout: settings.waitTimeout }
            : onLocked === 'skip' && { waitTimeout: 0 }),
          autoExtend: settings.autoExtend ?? true,
        },
        onLocked,
        onLost: settings.onLost ?? defaults.onLost,
        reentrant: settings.reentrant ?? defaults.reentrant,
      };
      perService.set(service, call);
    }
    return call;
  };

  const keyError = (error: unknown): LockKeyError =>
    new LockKeyError(
      spec.key.description,
      `${spec.decorator} on ${label}: ${(error as Error).message} The method was not run.`,
    );
  const lockedKey = (args: unknown[]): LockKey => {
    try {
      return resolveKey(args);
    } catch (error) {
      throw own(error);
    }
  };
  const leaseTarget = (keys: LockKey): LeaseTarget => {
    try {
      return spec.target(keys);
    } catch (error) {
      throw own(keyError(error));
    }
  };
  /** A failure to enter: the engine refusing the key is the caller's key, not a bug. */
  const enterError = (error: unknown): unknown =>
    own(
      error instanceof InvalidLockOptionsError && error.option === 'key' ? keyError(error) : error,
    );
  /** Contention only: an outage is never "held by someone else". */
  const isContention = (error: unknown): error is LockTimeoutError =>
    error instanceof LockTimeoutError && error.reason === 'held';
  const keyList = (keys: LockKey): readonly string[] =>
    typeof keys === 'string' ? [keys] : [...new Set(keys)].sort();

  async function runLocked(instance: unknown, args: unknown[]): Promise<unknown> {
    const service = serviceOf(instance, label, spec.decorator);
    const call = callSettings(service);
    const keys = lockedKey(args);
    const lease = leaseTarget(keys);
    let entry: LockEntry;
    try {
      entry = await service.enter(lease, call.acquire, call.reentrant, label);
    } catch (error) {
      if (!isContention(error)) throw enterError(error);
      return whenLocked(call.onLocked, error, keys, instance, args);
    }
    let result: unknown;
    try {
      result = entry.run(() => method.apply(instance, args));
    } catch (error) {
      await entry.exit().catch(() => undefined);
      throw error;
    }
    if (isObservable(result)) {
      // Declared without `Observable` but returned one: hold the lock until it ends.
      return holdUntilDone(service, entry, result, call, keys, instance, args);
    }
    return service.track(
      (async () => {
        let value: unknown;
        try {
          value = await result;
        } catch (error) {
          // The method's own error wins; a lost lock was already logged and signalled.
          await entry.exit().catch(() => undefined);
          throw error;
        }
        const lost = await entry.finish();
        return lost ? whenLost(call.onLost, lost, value, keys, instance, args) : value;
      })(),
      entry.holding,
    );
  }

  async function whenLocked(
    onLocked: OnLocked,
    error: LockTimeoutError,
    keys: LockKey,
    instance: unknown,
    args: unknown[],
  ): Promise<unknown> {
    if (onLocked === 'skip') return undefined;
    if (onLocked === 'throw') throw own(error);
    const context: LockedContext = { key: error.key, keys: keyList(keys), args, instance, error };
    return onLocked(context);
  }

  function whenLost(
    onLost: OnLost,
    error: LockLostError,
    result: unknown,
    keys: LockKey,
    instance: unknown,
    args: unknown[],
  ): unknown {
    if (onLost === 'ignore') return result;
    if (onLost === 'throw') throw own(error);
    const context: LostContext = {
      key: error.key,
      keys: keyList(keys),
      args,
      instance,
      error,
      result,
    };
    return onLost(context);
  }

  /**
   * Feeds `source` to `subscriber` while `entry` is held, and releases it when the stream ends
   * (completes, errors, or is unsubscribed). A loss is handled the moment it is known, per
   * `onLost`; the release that ends a stream may also find the lock lost.
   */
  function streamHolding(
    service: RedisLockService,
    entry: LockEntry,
    start: () => Observable<unknown>,
    subscriber: Subscriber<unknown>,
    call: CallSettings,
    keys: LockKey,
    instance: unknown,
    args: unknown[],
  ): () => void {
    let inner: Subscription | undefined;
    let ended = false;
    let done: () => void = () => undefined;
    void service.track(new Promise<void>((resolve) => (done = resolve)), entry.holding);
    const signal = entry.lease.signal;
    const end = (deliver: (lost: LockLostError | undefined) => void): void => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', onAbort);
      void entry.finish().then((lost) => {
        done();
        deliver(lost);
      });
    };
    const deliverLost = (lost: LockLostError): void => {
      let fallback: unknown;
      try {
        fallback = whenLost(call.onLost, lost, undefined, keys, instance, args);
      } catch (error) {
        return subscriber.error(error);
      }
      if (call.onLost === 'ignore') return subscriber.complete();
      inner = toObservable(fallback).subscribe(subscriber);
    };
    const onAbort = (): void => {
      if (!(signal.reason instanceof LockLostError) || call.onLost === 'ignore') return;
      // Stop the work that is no longer protected.
      inner?.unsubscribe();
      const lost = signal.reason;
      end(() => deliverLost(lost));
    };
    // A re-entered lock belongs to its caller: so does its loss.
    if (entry.owns) signal.addEventListener('abort', onAbort, { once: true });

    try {
      inner = entry.run(() =>
        start().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => end(() => subscriber.error(error)),
          complete: () => end((lost) => (lost ? deliverLost(lost) : subscriber.complete())),
        }),
      );
    } catch (error) {
      end(() => subscriber.error(error));
    }
    return () => {
      inner?.unsubscribe();
      end(() => undefined);
    };
  }

  function lockedObservable(instance: unknown, args: unknown[]): Observable<unknown> {
    // Nothing happens until subscription: a late subscriber takes the lock then.
    return new Observable((subscriber) => {
      let service: RedisLockService;
      let keys: LockKey;
      let lease: LeaseTarget;
      try {
        service = serviceOf(instance, label, spec.decorator);
        keys = lockedKey(args);
        lease = leaseTarget(keys);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      const call = callSettings(service);
      const cancel = new AbortController();
      let teardown: (() => void) | undefined;
      let fallback: Subscription | undefined;

      service.enter(lease, { ...call.acquire, signal: cancel.signal }, call.reentrant, label).then(
        (entry) => {
          if (subscriber.closed) return void entry.exit().catch(() => undefined);
          teardown = streamHolding(
            service,
            entry,
            () => toObservable(method.apply(instance, args)),
            subscriber,
            call,
            keys,
            instance,
            args,
          );
        },
        (error: unknown) => {
          if (subscriber.closed || error instanceof LockAbortedError) return;
          if (!isContention(error)) return subscriber.error(enterError(error));
          whenLocked(call.onLocked, error, keys, instance, args).then(
            (value) => {
              if (call.onLocked === 'skip') return subscriber.complete();
              fallback = toObservable(value).subscribe(subscriber);
            },
            (thrown: unknown) => subscriber.error(thrown),
          );
        },
      );
      return () => {
        cancel.abort();
        fallback?.unsubscribe();
        teardown?.();
      };
    });
  }

  function holdUntilDone(
    service: RedisLockService,
    entry: LockEntry,
    source: Observable<unknown>,
    call: CallSettings,
    keys: LockKey,
    instance: unknown,
    args: unknown[],
  ): Observable<unknown> {
    // The lock was taken at call time; keep it until this Observable is done.
    return new Observable((subscriber) =>
      streamHolding(service, entry, () => source, subscriber, call, keys, instance, args),
    );
  }

  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    return observable ? lockedObservable(this, args) : runLocked(this, args);
  };
  copyMethodMetadata(method, wrapper);
  // Stacked decorators of ours can still use parameter names after this wrapper hides them.
  const names =
    (method as unknown as Record<symbol, unknown>)[PARAMETER_NAMES] ?? readParameterNames(method);
  Object.defineProperty(wrapper, PARAMETER_NAMES, { value: names, configurable: true });
  Reflect.defineMetadata(spec.metadataKey, spec.metadata, wrapper);
  descriptor.value = wrapper as unknown as typeof descriptor.value;
}

/**
 * Asks Nest to inject the service into every instance of the class. Not optional: a provider
 * with a decorated method in an application that never imported `RedisLockModule` fails at
 * bootstrap, with Nest's own message naming `RedisLockService` (the property's symbol says who
 * needs it). An object Nest did not create finds the service at call time (see `serviceOf`).
 */
function requestService(target: object): void {
  if (typeof target === 'function' || injected.has(target)) return;
  injected.add(target);
  Inject(RedisLockService)(target, LOCK_SERVICE_PROPERTY);
}

function serviceOf(instance: unknown, label: string, decorator: string): RedisLockService {
  const service =
    instance !== null && typeof instance === 'object'
      ? (instance as Record<symbol, RedisLockService | undefined>)[LOCK_SERVICE_PROPERTY]
      : undefined;
  if (service) return service;
  // An object Nest did not create (or a static method): only unambiguous with one application.
  const sole = RedisLockService.soleInstance();
  if (sole) return sole;
  throw new LockServiceUnavailableError(label, decorator);
}

function isObservableType(type: unknown): boolean {
  return (
    typeof type === 'function' &&
    (type === Observable ||
      typeof (type.prototype as { subscribe?: unknown } | undefined)?.subscribe === 'function')
  );
}

function toObservable(value: unknown): Observable<unknown> {
  if (isObservable(value)) return value;
  if (value !== null && typeof (value as PromiseLike<unknown> | undefined)?.then === 'function') {
    return from(value as PromiseLike<unknown>);
  }
  return of(value);
}

const SETTINGS_OPTIONS = [
  'ttl',
  'waitTimeout',
  'autoExtend',
  'onLocked',
  'onLost',
  'reentrant',
  'mapErrors',
] as const;

/**
 * Validates the options every decorated method shares, and checks that no other option than
 * those and `extra` was given. Throws `InvalidLockOptionsError` when the class is defined.
 * @internal
 */
export function validateLeaseMethodSettings(
  options: unknown,
  decorator: string,
  extra: readonly string[],
): { input: Record<string, unknown>; settings: LeaseMethodSettings } {
  const input = validateOptionsObject(options, decorator) as Record<string, unknown>;
  assertKnownOptions(input, [...SETTINGS_OPTIONS, ...extra], decorator);
  const { onLocked, onLost, mapErrors } = input;
  if (
    onLocked !== undefined &&
    onLocked !== 'throw' &&
    onLocked !== 'skip' &&
    typeof onLocked !== 'function'
  ) {
    throw new InvalidLockOptionsError(
      'onLocked',
      `${decorator} option onLocked must be 'throw', 'skip' or a function, but received ${describeValue(onLocked)}.`,
    );
  }
  if (
    onLost !== undefined &&
    onLost !== 'throw' &&
    onLost !== 'ignore' &&
    typeof onLost !== 'function'
  ) {
    throw new InvalidLockOptionsError(
      'onLost',
      `${decorator} option onLost must be 'throw', 'ignore' or a function, but received ${describeValue(onLost)}.`,
    );
  }
  if (
    mapErrors !== undefined &&
    typeof mapErrors !== 'boolean' &&
    typeof mapErrors !== 'function'
  ) {
    throw new InvalidLockOptionsError(
      'mapErrors',
      `${decorator} option mapErrors must be true, false or a function (failure, host) => exception, but received ${describeValue(mapErrors)}.`,
    );
  }
  const settings: LeaseMethodSettings = {
    ...(input.ttl !== undefined && { ttl: validateTtl(input.ttl) }),
    ...(input.waitTimeout !== undefined && { waitTimeout: validateWaitTimeout(input.waitTimeout) }),
    ...(input.autoExtend !== undefined && {
      autoExtend: validateBoolean(input.autoExtend, 'autoExtend'),
    }),
    ...(input.reentrant !== undefined && {
      reentrant: validateBoolean(input.reentrant, 'reentrant'),
    }),
    ...(onLocked !== undefined && { onLocked: onLocked as OnLocked }),
    ...(onLost !== undefined && { onLost: onLost as OnLost }),
    ...(mapErrors !== undefined && { mapErrors: mapErrors as MapLockErrors }),
  };
  return { input, settings };
}
