import { LockLostError } from '../core/errors/lock-lost.error.js';
import { LockManagerClosedError } from '../core/errors/lock-manager-closed.error.js';
import { LockUpgradeError } from '../core/errors/lock-upgrade.error.js';
import type { AcquireOptions } from '../core/interfaces/acquire-options.interface.js';
import type { LeaseKind } from '../core/interfaces/lease-kind.interface.js';
import type { ReadWriteAcquireOptions } from '../core/interfaces/read-write-acquire-options.interface.js';
import type { SemaphoreAcquireOptions } from '../core/interfaces/semaphore-acquire-options.interface.js';
import type { Lease } from '../core/lease.js';
import type { LockManager } from '../core/lock-manager.js';
import { describeLease } from '../core/util/describe-lease.util.js';
import { heldInChain, type LockFrame, lockContext } from '../lock-context.js';
import type { LockTracing } from '../telemetry/lock-tracing.js';
import type { InflightCalls } from './inflight-calls.js';
import type { LeaseTarget } from './lease-target.interface.js';
import type { LockEntry } from './lock-entry.interface.js';

/** Which held leases a call chain re-enters instead of acquiring, per kind asked for. */
const ENTERED_BY: Record<LeaseKind, readonly LeaseKind[]> = {
  lock: ['lock'],
  // A writer may read: a read inside a write re-enters the write lock.
  'read-lock': ['read-lock', 'write-lock'],
  'write-lock': ['write-lock'],
  permit: ['permit'],
};

/** The acquire options of any lease kind: each kind's own checks reject the others'. */
export type EnterOptions = AcquireOptions | SemaphoreAcquireOptions;

/**
 * How a call chain (a decorated method, a `with*` callback, and all they call) enters a lease:
 * it re-enters what the chain already holds when re-entrant, refuses a write inside its own
 * read at once, and acquires the rest. One per `RedisLockService`: the frames of another
 * application's service never count.
 * @internal
 */
export class CallChainEntrance {
  constructor(
    private readonly manager: LockManager,
    /** Whose frames count: the service this entrance belongs to. */
    private readonly owner: object,
    private readonly calls: InflightCalls,
    /** The span of each call, with OpenTelemetry (read at each call: it is injected late). */
    private readonly tracing: () => LockTracing | undefined,
  ) {}

  /**
   * Acquires what this call chain does not hold yet (everything when not re-entrant): the keys
   * of a lock, a side of a read-write lock, or permits of a semaphore.
   * @throws LockUpgradeError for a write lock inside a read lock of the same key
   * @throws LockManagerClosedError once shutdown began
   */
  enter(
    target: LeaseTarget,
    options: EnterOptions,
    reentrant: boolean,
    caller: string,
  ): Promise<LockEntry> {
    // With OpenTelemetry: one span from here to the exit, around the wait and the hold.
    const tracing = this.tracing();
    return tracing
      ? tracing.trace(target.key, () => this.enterChain(target, options, reentrant, caller))
      : this.enterChain(target, options, reentrant, caller);
  }

  private async enterChain(
    target: LeaseTarget,
    options: EnterOptions,
    reentrant: boolean,
    caller: string,
  ): Promise<LockEntry> {
    this.calls.assertOpen();
    const keys =
      typeof target.key === 'string' ? [target.key] : [...new Set(target.key as string[])];
    const parent = lockContext.getStore();
    // Outside any locked call (the common case) there is nothing to re-enter or upgrade.
    const held = parent ? this.heldOf(target, keys, reentrant) : new Map<string, Lease>();
    const missing = held.size > 0 ? keys.filter((k) => !held.has(k)) : keys;
    let acquired: Lease | undefined;
    if (missing.length > 0) {
      acquired = await this.acquireFor(target, missing, options);
      if (this.calls.draining) {
        // Shutdown began while this call waited: it must not start work whose lease is about
        // to be released.
        await acquired.release().catch(() => undefined);
        throw new LockManagerClosedError();
      }
    }
    const lease = acquired ?? held.get(keys[0]!)!;
    const frame: LockFrame = {
      lease,
      kind: target.kind,
      keys,
      owner: this.owner,
      parent,
    };
    const exit = async (): Promise<void> => {
      if (acquired) await acquired.release();
    };
    return {
      lease,
      owns: acquired !== undefined,
      run: (fn) => lockContext.run(frame, fn),
      exit,
      finish: () =>
        exit().then(
          () => undefined,
          (error: unknown) => (error instanceof LockLostError ? error : undefined),
        ),
      holding: `${caller} holding ${describeLease(target.kind, keys.join(' + '))}`,
    };
  }

  /** The keys of `target` the chain holds already, each with the lease that holds it. */
  private heldOf(
    target: LeaseTarget,
    keys: readonly string[],
    reentrant: boolean,
  ): Map<string, Lease> {
    const held = reentrant
      ? heldInChain(this.owner, ENTERED_BY[target.kind])
      : new Map<string, Lease>();
    if (
      target.kind === 'write-lock' &&
      !held.has(keys[0]!) &&
      heldInChain(this.owner, ['read-lock']).has(keys[0]!)
    ) {
      // The write lock would wait for this chain's own read lock: say so now.
      throw new LockUpgradeError(keys[0]!);
    }
    return held;
  }

  private acquireFor(
    target: LeaseTarget,
    missing: readonly string[],
    options: EnterOptions,
  ): Promise<Lease> {
    switch (target.kind) {
      case 'lock':
        return this.manager.acquire(missing.length === 1 ? missing[0]! : missing, options);
      case 'read-lock':
        return this.manager.readWriteLock(target.key).read(options as ReadWriteAcquireOptions);
      case 'write-lock':
        return this.manager.readWriteLock(target.key).write(options as ReadWriteAcquireOptions);
      case 'permit':
        return this.manager
          .semaphore(target.key, { permits: target.permits })
          .acquire(options as SemaphoreAcquireOptions);
    }
  }
}
