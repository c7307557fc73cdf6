import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { describeValue } from '../core/options/describe-value.util.js';
import { PARAMETER_NAMES } from '../key/lock-key-template.js';
import { readParameterNames } from '../key/parameter-names.util.js';
import type { AnyFunction } from '../utils/any-function.type.js';
import { copyMethodMetadata } from '../utils/copy-method-metadata.util.js';
import { requestService } from './lease-method/find-lock-service.js';
import { prepareLeaseMethod } from './lease-method/lease-call.js';
import type { LeaseMethodSpec } from './lease-method/lease-method-spec.interface.js';
import { isObservableType, runLockedObservable } from './lease-method/run-locked-observable.js';
import { runLockedPromise } from './lease-method/run-locked-promise.js';

/**
 * Wraps a decorated method so that it runs holding what `spec` describes: taken before the
 * method runs, renewed while it runs, released when it settles (when an Observable completes,
 * errors or is unsubscribed). All metadata of the original method is copied to the wrapper, so
 * routes, guards, `@Cron` and the like keep working whatever the decorator order.
 *
 * The errors it throws for its own lock carry their origin (see `LeaseMethodErrors`): the
 * method, for the log, and this decorator's `mapErrors`. It answers no transport itself: the
 * module's interceptor does, for the handler the error reaches, wherever the decorator sits.
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
  const method = prepareLeaseMethod(spec, original as AnyFunction, label);
  const returnType: unknown = Reflect.getMetadata('design:returntype', target, propertyKey);
  const run = isObservableType(returnType) ? runLockedObservable : runLockedPromise;
  requestService(target);

  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    return run(method, this, args);
  };
  copyMethodMetadata(method.original, wrapper);
  // Stacked decorators of ours can still use parameter names after this wrapper hides them.
  const names =
    (method.original as unknown as Record<symbol, unknown>)[PARAMETER_NAMES] ??
    readParameterNames(method.original);
  Object.defineProperty(wrapper, PARAMETER_NAMES, { value: names, configurable: true });
  Reflect.defineMetadata(spec.metadataKey, spec.metadata, wrapper);
  descriptor.value = wrapper as unknown as typeof descriptor.value;
}
