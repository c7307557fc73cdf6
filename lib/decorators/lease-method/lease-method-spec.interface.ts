import type { AcquireOptions } from '../../core/interfaces/acquire-options.interface.js';
import type { SemaphoreAcquireOptions } from '../../core/interfaces/semaphore-acquire-options.interface.js';
import type { LockKey } from '../../core/lock-manager.js';
import type { MapLockErrors } from '../../exceptions/lock-error-mapper.interface.js';
import type { DistributedLockOptions } from '../../interfaces/distributed-lock-options.interface.js';
import type { CompiledLockKey } from '../../key/lock-key-template.js';
import type { LeaseTarget } from '../../service/lease-target.interface.js';

/** @internal */
export type OnLocked = NonNullable<DistributedLockOptions['onLocked']>;
/** @internal */
export type OnLost = NonNullable<DistributedLockOptions['onLost']>;

/**
 * The options common to `@DistributedLock` and `@DistributedSemaphore`, validated.
 * @internal
 */
export interface LeaseMethodSettings {
  readonly ttl?: number;
  readonly waitTimeout?: number;
  readonly autoExtend?: boolean;
  readonly onLocked?: OnLocked;
  readonly onLost?: OnLost;
  readonly reentrant?: boolean;
  readonly mapErrors?: MapLockErrors;
}

/**
 * How a decorator wraps a method: what the method holds while it runs, and how that is named.
 * @internal
 */
export interface LeaseMethodSpec {
  /** `@DistributedLock` or `@DistributedSemaphore`, for messages. */
  readonly decorator: string;
  readonly key: CompiledLockKey;
  readonly settings: LeaseMethodSettings;
  /** Acquire options of this primitive beyond the common ones (`fair`, `weight`). */
  readonly acquire: Readonly<
    Pick<AcquireOptions, 'fair'> & Pick<SemaphoreAcquireOptions, 'weight'>
  >;
  /** What to enter for a resolved key; throws (becoming a `LockKeyError`) when it cannot. */
  target(key: LockKey): LeaseTarget;
  readonly metadataKey: string;
  readonly metadata: unknown;
}
