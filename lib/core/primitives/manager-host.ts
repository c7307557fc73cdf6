import type { AcquireRequest, AcquireRequests } from '../acquire/acquire-request.js';
import type { LeaseParams, PrimitiveDriverSet } from '../backend/lease-driver.interface.js';
import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { LeaseOf } from '../lease/lease-handle.util.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';
import type { PrimitiveHost } from './primitive-host.interface.js';

/** How a manager takes a lease of any kind. @internal */
export type TakeLease = <K extends LeaseKind>(
  request: AcquireRequest<K>,
  mode: 'acquire' | 'try',
) => Promise<LeaseOf<K> | null>;

/**
 * The port a manager's semaphores and read-write locks reach it through.
 * @internal
 */
export class ManagerHost implements PrimitiveHost {
  constructor(
    readonly options: ResolvedLockManagerOptions,
    private readonly requests: AcquireRequests,
    /** The drivers of the primitives; throws where the topology has none. */
    private readonly drivers: (
      primitive: 'semaphore' | 'read-write lock',
      key: string,
    ) => PrimitiveDriverSet,
    private readonly takeLease: TakeLease,
  ) {}

  /**
   * Refuses a semaphore or read-write lock the manager cannot offer as asked: on a quorum, and
   * with `waitForReplicas`, which their scripts would silently skip.
   */
  assertSupported(primitive: 'semaphore' | 'read-write lock', key: string): void {
    this.drivers(primitive, key);
    if (this.options.waitForReplicas) {
      throw new InvalidLockOptionsError(
        'waitForReplicas',
        `A ${primitive} cannot be combined with the manager's waitForReplicas: its grants are not followed by WAIT, so "${key}" would be handed out without the replicas' acknowledgement. Use another manager, without waitForReplicas, for ${primitive}s.`,
      );
    }
  }

  request<K extends Exclude<LeaseKind, 'lock'>>(
    kind: K,
    key: string,
    options: unknown,
    mode: 'acquire' | 'try',
    extra?: readonly string[],
    params?: LeaseParams,
  ): AcquireRequest<K> {
    return this.requests.lease(kind, key, options, mode, extra, params);
  }

  take<K extends LeaseKind>(request: AcquireRequest<K>, mode: 'acquire'): Promise<LeaseOf<K>>;
  take<K extends LeaseKind>(request: AcquireRequest<K>, mode: 'try'): Promise<LeaseOf<K> | null>;
  take<K extends LeaseKind>(
    request: AcquireRequest<K>,
    mode: 'acquire' | 'try',
  ): Promise<LeaseOf<K> | null> {
    return this.takeLease(request, mode);
  }
}
