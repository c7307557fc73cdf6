import type { LockConnection } from './connection/lock-connection.interface.js';
import type { LeaseDriver, PrimitiveDriverSet } from '../backend/lease-driver.interface.js';
import { FairLockDriver } from './fair/fair-lock-driver.js';
import { ReadLockDriver } from './read-write/read-lock-driver.js';
import { WriteLockDriver } from './read-write/write-lock-driver.js';
import type { RedisKeyspace } from './redis-keyspace.js';
import { SemaphoreDriver } from './semaphore/semaphore-driver.js';

/**
 * The drivers of the primitives beyond plain locks, on one Redis or Cluster client. Created when
 * a manager first needs one; each defines its scripts on the client then, so an application
 * that only takes plain locks never loads them.
 * @internal
 */
export class RedisPrimitiveDrivers implements PrimitiveDriverSet {
  private fairDriver: FairLockDriver | undefined;
  private semaphoreDriver: SemaphoreDriver | undefined;
  private readDriver: ReadLockDriver | undefined;
  private writeDriver: WriteLockDriver | undefined;

  constructor(
    private readonly client: LockConnection,
    private readonly keyspace: RedisKeyspace,
    /** How long a queued waiter keeps its place without renewing it, in milliseconds. */
    private readonly placeTtl: number,
    /** The plain locks' driver, which renews held fair locks. */
    private readonly plain: LeaseDriver,
  ) {}

  get fair(): FairLockDriver {
    return (this.fairDriver ??= new FairLockDriver(
      this.client,
      this.keyspace,
      this.placeTtl,
      this.plain,
    ));
  }

  get semaphore(): SemaphoreDriver {
    return (this.semaphoreDriver ??= new SemaphoreDriver(
      this.client,
      this.keyspace,
      this.placeTtl,
    ));
  }

  get read(): ReadLockDriver {
    return (this.readDriver ??= new ReadLockDriver(this.client, this.keyspace));
  }

  get write(): WriteLockDriver {
    return (this.writeDriver ??= new WriteLockDriver(this.client, this.keyspace, this.placeTtl));
  }
}
