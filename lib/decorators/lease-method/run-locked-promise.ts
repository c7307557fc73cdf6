import { isObservable } from 'rxjs';
import { isContention } from '../../exceptions/classify-lock-error.util.js';
import type { LockEntry } from '../../service/lock-entry.interface.js';
import { beginCall, type LeaseCall, type LeaseMethod } from './lease-call.js';
import { whenLocked, whenLost } from './lease-call-outcomes.js';
import { holdUntilDone } from './run-locked-observable.js';

/**
 * The Promise path: a call of a method not declared to return an Observable. The lock is taken
 * before the method runs and released when its result settles.
 * @internal
 */
export async function runLockedPromise(
  method: LeaseMethod,
  instance: unknown,
  args: unknown[],
): Promise<unknown> {
  const call = beginCall(method, instance, args);
  const { service, settings } = call;
  let entry: LockEntry;
  try {
    entry = await service.entrance.enter(
      call.target,
      settings.acquire,
      settings.reentrant,
      method.label,
    );
  } catch (error) {
    if (!isContention(error)) throw method.errors.enterError(error);
    return whenLocked(call, error);
  }
  let result: unknown;
  try {
    result = entry.run(() => method.original.apply(instance, args));
  } catch (error) {
    await entry.exit().catch(() => undefined);
    throw error;
  }
  if (isObservable(result)) {
    // Declared without `Observable` but returned one: hold the lock until it ends.
    return holdUntilDone(call, entry, result);
  }
  return service.track(settle(call, entry, result), entry.holding);
}

/** Waits for the method's result, then releases; a loss meanwhile goes to `onLost`. */
async function settle(call: LeaseCall, entry: LockEntry, result: unknown): Promise<unknown> {
  let value: unknown;
  try {
    value = await result;
  } catch (error) {
    // The method's own error wins; a lost lock was already logged and signalled.
    await entry.exit().catch(() => undefined);
    throw error;
  }
  const lost = await entry.finish();
  return lost ? whenLost(call, lost, value) : value;
}
