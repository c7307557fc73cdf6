import type { LeaseDriver } from './lease-driver.interface.js';
import { FairLockDriver } from './fair-lock-driver.js';
import { ReadLockDriver } from './read-lock-driver.js';
import type { RedisBackend } from './redis-backend.js';
import { SemaphoreDriver } from './semaphore-driver.js';
import { WriteLockDriver } from './write-lock-driver.js';

/**
 * The drivers of semaphores, read-write locks and fair locks of a backend.
 * @internal
 */
export interface PrimitiveDriverSet {
  readonly fair: LeaseDriver;
  readonly semaphore: LeaseDriver;
  readonly read: LeaseDriver;
  readonly write: LeaseDriver;
}

/**
 * The drivers of the primitives beyond plain locks, on one Redis or Cluster client. Created when
 * a manager first needs one; each defines its scripts on the client then, so an application
 * that only takes plain locks never loads them.
 * @internal
 */
export class PrimitiveDrivers implements PrimitiveDriverSet {
  private fairDriver: FairLockDriver | undefined;
  private semaphoreDriver: SemaphoreDriver | undefined;
  private readDriver: ReadLockDriver | undefined;
  private writeDriver: WriteLockDriver | undefined;

  constructor(
    private readonly backend: RedisBackend,
    /** How long a queued waiter keeps its place without renewing it, in milliseconds. */
    private readonly placeTtl: number,
  ) {}

  get fair(): FairLockDriver {
    return (this.fairDriver ??= new FairLockDriver(this.backend, this.placeTtl));
  }

  get semaphore(): SemaphoreDriver {
    return (this.semaphoreDriver ??= new SemaphoreDriver(this.backend));
  }

  get read(): ReadLockDriver {
    return (this.readDriver ??= new ReadLockDriver(this.backend));
  }

  get write(): WriteLockDriver {
    return (this.writeDriver ??= new WriteLockDriver(this.backend, this.placeTtl));
  }
}
