// What one operation of a semaphore actor does: take permits of one of the round's semaphores
// in one of the ways a caller can, and hand them to the shared holding code (work, extensions,
// release) that lock actors use, so that permits see the same faults, closes and renewals.
import { getEventListeners } from 'node:events';
import type * as Core from '../../../lib/core/index.js';
import { machineNow, type Violation } from './history.js';
import type { CoreLibrary, ManagerInstance } from './lease-actors.js';
import type { LeaseWatch } from './lease-watch.js';
import type { Random } from './random.js';

/**
 * How often a semaphore actor draws each operation. Waits end in every way a waiter can leave
 * the queue (granted, timed out, aborted, its manager closed), since each departure can cross a
 * release that is handing it permits at that moment. No close of its own: the lock actors close
 * the shared managers often enough (several times a second in a round on Redis).
 */
export const PERMIT_OPERATIONS = {
  /** Queues for 100 ms to 1.5 s. */
  acquire: 30,
  /** A single attempt: never queues, never gets in ahead of waiters. */
  tryAcquire: 12,
  /** tryAcquire with a waitTimeout: queues like acquire, and answers null when it runs out. */
  tryWait: 8,
  withPermit: 20,
  /** The caller's signal aborts the wait after 0 to 200 ms. */
  abort: 10,
  /** A wait of 1 to 60 ms: gives up about when a release hands it permits. */
  timeout: 10,
} as const;
export type PermitOperation = keyof typeof PERMIT_OPERATIONS;

/** What a semaphore actor needs of the round's actors, managers and records (lease-actors.ts). */
export interface PermitActorKit {
  readonly lib: CoreLibrary;
  readonly semaphores: Readonly<Record<string, number>>;
  readonly ttls: readonly number[];
  readonly managers: number;
  /** The manager of `slot`, once any close of it in progress has put a new one in its place. */
  instance(slot: number): Promise<ManagerInstance>;
  watch(
    permit: Core.Permit,
    instance: ManagerInstance,
    via: string,
    ttl: number,
    autoExtend: boolean,
    actor: number,
  ): LeaseWatch;
  work(watch: LeaseWatch, rng: Random): Promise<void>;
  holdAndRelease(watch: LeaseWatch, rng: Random): Promise<void>;
  finish(watch: LeaseWatch, end: string): void;
  /** A withPermit call returned its work's result. */
  completed(): void;
  /** Counts a failure by its kind; anything but the library's errors is a violation. */
  failed(operation: string, error: unknown): string;
  outcome(operation: string, result: string): void;
  violation(violation: Violation): void;
}

export async function runPermitOperation(
  kit: PermitActorKit,
  operation: PermitOperation,
  actor: number,
  rng: Random,
): Promise<void> {
  const slot = rng.int(0, kit.managers - 1);
  const name = `permit-${operation}`;
  const key = rng.pick(Object.keys(kit.semaphores));
  const permits = kit.semaphores[key]!;
  // Half the callers take one permit, the others 2 to all of them: a heavy head holds up the
  // light waiters behind it, and a release often frees too few for it, or enough for several.
  const weight = rng.chance(0.5) ? 1 : rng.int(2, permits);
  const ttl = rng.pick(kit.ttls);
  const autoExtend = rng.chance(0.7);
  const instance = await kit.instance(slot);
  const semaphore = instance.manager.semaphore(key, { permits });

  // Every caller of a key passes the same permits: a mismatch can only be a miscount.
  const checkLimit = (error: unknown): void => {
    if (error instanceof kit.lib.SemaphoreLimitMismatchError) {
      kit.violation({
        kind: 'unexpected-error',
        at: machineNow(),
        message: `${name} of "${key}" (${permits} permits, weight ${weight}) was refused: ${error.message}`,
      });
    }
  };

  const hold = (permit: Core.Permit, via: string, renewed = autoExtend): LeaseWatch => {
    if (permit.weight !== weight || permit.permits !== permits || permit.key !== key) {
      kit.violation({
        kind: 'unexpected-error',
        at: machineNow(),
        message: `${via}() of ${weight} of the ${permits} permits of "${key}" returned a permit of "${permit.key}" with weight ${permit.weight} of ${permit.permits}`,
      });
    }
    return kit.watch(permit, instance, via, ttl, renewed, actor);
  };

  try {
    switch (operation) {
      case 'acquire':
      case 'timeout': {
        const waitTimeout = operation === 'timeout' ? rng.int(1, 60) : rng.int(100, 1_500);
        const permit = await semaphore.acquire({ weight, ttl, waitTimeout, autoExtend });
        kit.outcome(name, 'granted');
        return await kit.holdAndRelease(hold(permit, 'acquire'), rng);
      }
      case 'tryAcquire':
      case 'tryWait': {
        const waitTimeout = operation === 'tryWait' ? rng.int(50, 800) : undefined;
        const permit = await semaphore.tryAcquire({
          weight,
          ttl,
          autoExtend,
          ...(waitTimeout === undefined ? {} : { waitTimeout }),
        });
        if (!permit) return kit.outcome(name, 'none free');
        kit.outcome(name, 'granted');
        return await kit.holdAndRelease(hold(permit, 'tryAcquire'), rng);
      }
      case 'abort': {
        const controller = new AbortController();
        const timer = setTimeout(
          () => controller.abort(new Error('caller gave up')),
          rng.int(0, 200),
        );
        let permit: Core.Permit;
        try {
          permit = await semaphore.acquire({
            weight,
            ttl,
            waitTimeout: 2_000,
            autoExtend,
            signal: controller.signal,
          });
        } finally {
          clearTimeout(timer);
          const left = getEventListeners(controller.signal, 'abort').length;
          if (left > 0) {
            kit.violation({
              kind: 'listener-left',
              at: machineNow(),
              message: `semaphore acquire() left ${left} abort listener(s) on the caller's signal after it settled`,
            });
          }
        }
        kit.outcome(name, 'granted');
        return await kit.holdAndRelease(hold(permit, 'acquire'), rng);
      }
      case 'withPermit': {
        let watch: LeaseWatch | undefined;
        const expected = `${actor}:${rng.int(0, 1e9)}`;
        try {
          const result = await semaphore.withPermit(
            async (permit) => {
              watch = hold(permit, 'withPermit', true);
              await kit.work(watch, rng);
              watch.giveUp();
              return expected;
            },
            { weight, ttl, waitTimeout: rng.int(100, 1_500) },
          );
          if (result !== expected) {
            kit.violation({
              kind: 'unexpected-error',
              message: `withPermit() returned ${String(result)}, not what the work returned`,
            });
          }
          kit.outcome(name, 'ok');
          kit.completed();
          if (watch) kit.finish(watch, 'withPermit returned');
        } catch (error) {
          checkLimit(error);
          const failure = kit.failed(name, error);
          if (watch) kit.finish(watch, `withPermit failed: ${failure}`);
        }
        return;
      }
    }
  } catch (error) {
    checkLimit(error);
    throw error;
  }
}
