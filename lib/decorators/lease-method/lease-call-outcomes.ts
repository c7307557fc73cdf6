import type { LockLostError } from '../../core/errors/lock-lost.error.js';
import type { LockTimeoutError } from '../../core/errors/lock-timeout.error.js';
import type { LockKey } from '../../core/lock-manager.js';
import type {
  LockedContext,
  LostContext,
} from '../../interfaces/distributed-lock-options.interface.js';
import type { LeaseCall } from './lease-call.js';

/**
 * What a call whose lock stayed held by someone else gives its caller, per `onLocked`:
 * nothing (`'skip'`), the `LockTimeoutError` (`'throw'`), or what the function decides.
 * @internal
 */
export async function whenLocked(call: LeaseCall, error: LockTimeoutError): Promise<unknown> {
  const { onLocked } = call.settings;
  if (onLocked === 'skip') return undefined;
  if (onLocked === 'throw') throw call.method.errors.own(error);
  const context: LockedContext = {
    key: error.key,
    keys: keyList(call.keys),
    args: call.args,
    instance: call.instance,
    error,
  };
  return onLocked(context);
}

/**
 * What a call whose lock was lost while it ran gives its caller, per `onLost`: its `result`
 * (`'ignore'`), the `LockLostError` (`'throw'`), or what the function decides.
 * @internal
 */
export function whenLost(call: LeaseCall, error: LockLostError, result: unknown): unknown {
  const { onLost } = call.settings;
  if (onLost === 'ignore') return result;
  if (onLost === 'throw') throw call.method.errors.own(error);
  const context: LostContext = {
    key: error.key,
    keys: keyList(call.keys),
    args: call.args,
    instance: call.instance,
    error,
    result,
  };
  return onLost(context);
}

function keyList(keys: LockKey): readonly string[] {
  return typeof keys === 'string' ? [keys] : [...new Set(keys)].sort();
}
