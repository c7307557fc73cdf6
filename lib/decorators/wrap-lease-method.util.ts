import { BadRequestException, ConflictException, Inject, Optional } from '@nestjs/common';
import { from, isObservable, Observable, of, type Subscription } from 'rxjs';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { LockAbortedError } from '../core/errors/lock-aborted.error.js';
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
import type {
  DistributedLockOptions,
  LockedContext,
} from '../interfaces/distributed-lock-options.interface.js';
import { type CompiledLockKey, PARAMETER_NAMES } from '../key/lock-key-template.js';
import { readParameterNames } from '../key/parameter-names.util.js';
import { LOCK_SERVICE_PROPERTY } from '../redis-lock.internal-constants.js';
import { type LeaseTarget, type LockEntry, RedisLockService } from '../redis-lock.service.js';
import type { AnyFunction } from '../utils/any-function.type.js';
import { copyMethodMetadata } from '../utils/copy-method-metadata.util.js';

type OnLocked = NonNullable<DistributedLockOptions['onLocked']>;

/**
 * The options common to `@DistributedLock` and `@DistributedSemaphore`, validated.
 * @internal
 */
export interface LeaseMethodSettings {
  readonly ttl?: number;
  readonly waitTimeout?: number;
  readonly autoExtend?: boolean;
  readonly onLocked?: OnLocked;
  readonly reentrant?: boolean;
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
  /** The message of a 409 Conflict on an HTTP route. */
  conflictMessage(error: LockTimeoutError): string;
  readonly metadataKey: string;
  readonly metadata: unknown;
}

interface CallSettings {
  readonly acquire: AcquireOptions & SemaphoreAcquireOptions;
  readonly onLocked: OnLocked;
  readonly reentrant: boolean;
}

// Classes whose prototype already asks Nest for the service.
const injected = new WeakSet<object>();

/**
 * Wraps a decorated method so that it runs holding what `spec` describes: taken before the
 * method runs, renewed while it runs, released when it settles (when an Observable completes,
 * errors or is unsubscribed). All metadata of the original method is copied to the wrapper, so
 * routes, guards, `@Cron` and the like keep working whatever the decorator order.
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
        reentrant: settings.reentrant ?? defaults.reentrant,
      };
      perService.set(service, call);
    }
    return call;
  };

  let route: boolean | undefined;
  const isRoute = (): boolean =>
    (route ??=
      Reflect.getMetadata('path', wrapper) !== undefined &&
      Reflect.getMetadata('method', wrapper) !== undefined);
  // On an HTTP route a held lock is a 409 and an unusable key a 400, not a 500.
  const forCaller = (error: unknown): unknown => {
    if (!isRoute()) return error;
    if (error instanceof LockTimeoutError) {
      return new ConflictException(
        {
          statusCode: 409,
          error: 'Conflict',
          message: spec.conflictMessage(error),
        },
        { cause: error },
      );
    }
    if (error instanceof LockKeyError) {
      return new BadRequestException(
        { statusCode: 400, error: 'Bad Request', message: error.message },
        { cause: error },
      );
    }
    return error;
  };

  const lockedKey = (args: unknown[]): LockKey => {
    try {
      return resolveKey(args);
    } catch (error) {
      throw forCaller(error);
    }
  };
  const leaseTarget = (keys: LockKey): LeaseTarget => {
    try {
      return spec.target(keys);
    } catch (error) {
      throw forCaller(
        new LockKeyError(
          spec.key.description,
          `${spec.decorator} on ${label}: ${(error as Error).message} The method was not run.`,
        ),
      );
    }
  };

  const keyError = (error: unknown): unknown =>
    error instanceof InvalidLockOptionsError && error.option === 'key'
      ? forCaller(
          new LockKeyError(
            spec.key.description,
            `${spec.decorator} on ${label}: ${error.message} The method was not run.`,
          ),
        )
      : error;

  async function runLocked(instance: unknown, args: unknown[]): Promise<unknown> {
    const service = serviceOf(instance, label, spec.decorator);
    const call = callSettings(service);
    const keys = lockedKey(args);
    const lease = leaseTarget(keys);
    let entry: LockEntry;
    try {
      entry = await service.enter(lease, call.acquire, call.reentrant);
    } catch (error) {
      if (!(error instanceof LockTimeoutError)) throw keyError(error);
      return whenLocked(call.onLocked, error, keys, instance, args);
    }
    return service.track(
      (async () => {
        let handedOff = false;
        try {
          const result = entry.run(() => method.apply(instance, args));
          if (isObservable(result)) {
            // Declared without `Observable` but returned one: hold the lock until it ends.
            handedOff = true;
            return holdUntilDone(result, entry);
          }
          return await result;
        } finally {
          // The method's own outcome wins; a lost lock was already logged and signalled.
          if (!handedOff) await entry.exit().catch(() => undefined);
        }
      })(),
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
    if (onLocked === 'throw') throw forCaller(error);
    const context: LockedContext = {
      key: error.key,
      keys: typeof keys === 'string' ? [keys] : [...new Set(keys)].sort(),
      args,
      instance,
      error,
    };
    return onLocked(context);
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
      let entry: LockEntry | undefined;
      let inner: Subscription | undefined;
      let finish: () => void = () => undefined;
      void service.track(new Promise<void>((resolve) => (finish = resolve)));
      const release = (): Promise<void> =>
        (entry ? entry.exit().catch(() => undefined) : Promise.resolve()).then(finish);

      service.enter(lease, { ...call.acquire, signal: cancel.signal }, call.reentrant).then(
        (entered) => {
          entry = entered;
          if (subscriber.closed) return void release();
          let source: Observable<unknown>;
          try {
            source = toObservable(entered.run(() => method.apply(instance, args)));
          } catch (error) {
            return void release().then(() => subscriber.error(error));
          }
          inner = entered.run(() =>
            source.subscribe({
              next: (value) => subscriber.next(value),
              error: (error: unknown) => void release().then(() => subscriber.error(error)),
              complete: () => void release().then(() => subscriber.complete()),
            }),
          );
        },
        (error: unknown) => {
          finish();
          if (subscriber.closed || error instanceof LockAbortedError) return;
          if (!(error instanceof LockTimeoutError)) return subscriber.error(keyError(error));
          whenLocked(call.onLocked, error, keys, instance, args).then(
            (fallback) => {
              if (call.onLocked === 'skip') return subscriber.complete();
              inner = toObservable(fallback).subscribe(subscriber);
            },
            (thrown: unknown) => subscriber.error(thrown),
          );
        },
      );
      return () => {
        cancel.abort();
        inner?.unsubscribe();
        void release();
      };
    });
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

/** Asks Nest to inject the service into every instance of the class (optional: see serviceOf). */
function requestService(target: object): void {
  if (typeof target === 'function' || injected.has(target)) return;
  injected.add(target);
  Optional()(target, LOCK_SERVICE_PROPERTY);
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

function holdUntilDone(source: Observable<unknown>, entry: LockEntry): Observable<unknown> {
  // The lock was taken at call time; keep it until this Observable is done.
  return new Observable((subscriber) => {
    const subscription = source.subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
      void entry.exit().catch(() => undefined);
    };
  });
}

const SETTINGS_OPTIONS = ['ttl', 'waitTimeout', 'autoExtend', 'onLocked', 'reentrant'] as const;

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
  const { onLocked } = input;
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
  };
  return { input, settings };
}
