import { from, isObservable, Observable, of, type Subscriber, type Subscription } from 'rxjs';
import { LockAbortedError } from '../../core/errors/lock-aborted.error.js';
import { LockLostError } from '../../core/errors/lock-lost.error.js';
import { isContention } from '../../exceptions/classify-lock-error.util.js';
import type { LockEntry } from '../../service/lock-entry.interface.js';
import { beginCall, type LeaseCall, type LeaseMethod } from './lease-call.js';
import { whenLocked, whenLost } from './lease-call-outcomes.js';

/**
 * The Observable path: a call of a method declared to return an Observable. Nothing happens
 * until subscription (a late subscriber takes the lock then); the lock is held until the
 * stream completes, errors or is unsubscribed.
 * @internal
 */
export function runLockedObservable(
  method: LeaseMethod,
  instance: unknown,
  args: unknown[],
): Observable<unknown> {
  return new Observable((subscriber) => {
    let call: LeaseCall;
    try {
      call = beginCall(method, instance, args);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    const { service, settings } = call;
    const cancel = new AbortController();
    let teardown: (() => void) | undefined;
    let fallback: Subscription | undefined;
    const acquire = { ...settings.acquire, signal: cancel.signal };
    service.entrance.enter(call.target, acquire, settings.reentrant, method.label).then(
      (entry) => {
        if (subscriber.closed) return void entry.exit().catch(() => undefined);
        const start = (): Observable<unknown> =>
          toObservable(method.original.apply(instance, args));
        teardown = streamHolding(call, entry, start, subscriber);
      },
      (error: unknown) => {
        if (subscriber.closed || error instanceof LockAbortedError) return;
        if (!isContention(error)) return subscriber.error(method.errors.enterError(error));
        whenLocked(call, error).then(
          (value) => {
            if (settings.onLocked === 'skip') return subscriber.complete();
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

/**
 * A method not declared to return an Observable returned one: the lock, taken at call time,
 * is kept until this Observable is done.
 * @internal
 */
export function holdUntilDone(
  call: LeaseCall,
  entry: LockEntry,
  source: Observable<unknown>,
): Observable<unknown> {
  return new Observable((subscriber) => streamHolding(call, entry, () => source, subscriber));
}

/**
 * Feeds `start()`'s stream to `subscriber` while `entry` is held, and releases it when the
 * stream ends (completes, errors, or is unsubscribed). A loss is handled the moment it is
 * known, per `onLost`; the release that ends a stream may also find the lock lost. Returns the
 * teardown.
 */
function streamHolding(
  call: LeaseCall,
  entry: LockEntry,
  start: () => Observable<unknown>,
  subscriber: Subscriber<unknown>,
): () => void {
  const { onLost } = call.settings;
  let inner: Subscription | undefined;
  let ended = false;
  let done: () => void = () => undefined;
  void call.service.track(new Promise<void>((resolve) => (done = resolve)), entry.holding);
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
      fallback = whenLost(call, lost, undefined);
    } catch (error) {
      return subscriber.error(error);
    }
    if (onLost === 'ignore') return subscriber.complete();
    inner = toObservable(fallback).subscribe(subscriber);
  };
  const onAbort = (): void => {
    if (!(signal.reason instanceof LockLostError) || onLost === 'ignore') return;
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

/** What an `onLocked` or `onLost` function returned, as a stream to continue with. */
function toObservable(value: unknown): Observable<unknown> {
  if (isObservable(value)) return value;
  if (value !== null && typeof (value as PromiseLike<unknown> | undefined)?.then === 'function') {
    return from(value as PromiseLike<unknown>);
  }
  return of(value);
}

/** Whether a method's declared return type (`design:returntype`) is an Observable. @internal */
export function isObservableType(type: unknown): boolean {
  return (
    typeof type === 'function' &&
    (type === Observable ||
      typeof (type.prototype as { subscribe?: unknown } | undefined)?.subscribe === 'function')
  );
}
