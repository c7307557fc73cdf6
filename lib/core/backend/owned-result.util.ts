import type { OwnedResult } from './lease-driver.interface.js';

/**
 * The result code of an owner-checked script: 1 done, 0 gone (expired), -1 another holder.
 * @internal
 */
export function toOwned(code: number): OwnedResult {
  return code === 1 ? 'ok' : code === -1 ? 'taken' : 'expired';
}
