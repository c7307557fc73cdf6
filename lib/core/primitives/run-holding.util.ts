import { LockBackendError } from '../errors/lock-backend.error.js';
import type { Lease } from '../lease.js';

/**
 * Runs `fn` with a held lease and releases it when `fn` settles; returns what `fn` returns.
 *
 * If `fn` throws, its error is rethrown after the release (a lost lease was already reported by
 * events and the lease's signal). If `fn` succeeds but the lease was lost meanwhile, the release
 * throws `LockLostError` and the result is discarded: the work ran without the guarantee.
 *
 * A release that Redis did not confirm (`LockBackendError`: no answer, a dropped connection)
 * does not discard the result: the lease was held for the whole of the work, which is what the
 * caller's result depends on, and the lock expires by itself. The manager's `releaseFailed`
 * event reports it; the Nest layer treats it the same way. Throwing would tell the caller that
 * work which completed had failed, and a retry would run it twice.
 * @internal
 */
export async function runHolding<H extends Lease, T>(
  lease: H,
  fn: (lease: H) => T | Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await fn(lease);
  } catch (error) {
    await lease.release().catch(() => undefined);
    throw error;
  }
  try {
    await lease.release();
  } catch (error) {
    if (!(error instanceof LockBackendError)) throw error;
  }
  return result;
}
