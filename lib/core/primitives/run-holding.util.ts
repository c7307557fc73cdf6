import type { Lease } from '../lease.js';

/**
 * Runs `fn` with a held lease and releases it when `fn` settles; returns what `fn` returns.
 *
 * If `fn` throws, its error is rethrown after the release (a lost lease was already reported by
 * events and the lease's signal). If `fn` succeeds but the lease was lost meanwhile, the release
 * throws `LockLostError` and the result is discarded: the work ran without the guarantee.
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
  await lease.release();
  return result;
}
