import type { AcquireRequest } from '../acquire/acquire-request.js';
import type { LeaseParams } from '../backend/lease-driver.interface.js';
import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { LeaseOf } from '../lease/lease-handle.util.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';

/**
 * What a semaphore or a read-write lock needs from the manager that made it: the port through
 * which it asks for leases. The manager implements it; the primitives never see the manager.
 * @internal
 */
export interface PrimitiveHost {
  /** The manager's options (its identity also tells one manager's read scopes from another's). */
  readonly options: ResolvedLockManagerOptions;
  /** Throws `UnsupportedPrimitiveError` where the topology cannot offer the primitive. */
  assertSupported(primitive: 'semaphore' | 'read-write lock', key: string): void;
  /**
   * The request of one lease, validated before any Redis call. `extra` names the options the
   * primitive adds (read by the primitive itself).
   */
  request<K extends Exclude<LeaseKind, 'lock'>>(
    kind: K,
    key: string,
    options: unknown,
    mode: 'acquire' | 'try',
    extra?: readonly string[],
    params?: LeaseParams,
  ): AcquireRequest<K>;
  /** Acquires the lease a request describes: waits, validity, renewal and events included. */
  take<K extends LeaseKind>(request: AcquireRequest<K>, mode: 'acquire'): Promise<LeaseOf<K>>;
  take<K extends LeaseKind>(request: AcquireRequest<K>, mode: 'try'): Promise<LeaseOf<K> | null>;
}
