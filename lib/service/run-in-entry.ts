import type { Lease } from '../core/lease.js';
import type { LockEntry } from './lock-entry.interface.js';

/**
 * Runs `fn` inside `entry`, then exits it: the body of every `with*` call. `fn`'s own error
 * wins over a loss; a lease lost while `fn` ran rejects with its `LockLostError` unless
 * `onLost` is `'ignore'` (the loss was logged and signalled either way).
 * @internal
 */
export async function runInEntry<T>(
  entry: LockEntry,
  fn: (lease: Lease) => T | Promise<T>,
  onLost: 'throw' | 'ignore',
): Promise<T> {
  let result: T;
  try {
    result = await entry.run(() => fn(entry.lease));
  } catch (error) {
    await entry.exit().catch(() => undefined);
    throw error;
  }
  const lost = await entry.finish();
  if (lost && onLost === 'throw') throw lost;
  return result;
}
