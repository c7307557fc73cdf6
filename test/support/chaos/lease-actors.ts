// The actors of a chaos round: async loops that each draw operations from a seeded stream and
// run them against a few LockManagers of one process, recording every lease they are handed
// and every change of what its holder believes. The same code runs in the test process (the
// library's sources) and in worker processes (the compiled library): the library comes in as
// a parameter, and only types are imported from it.
import { getEventListeners } from 'node:events';
import type * as Core from '../../../lib/core/index.js';
import { type LeaseRecord, machineNow, type Violation } from './history.js';
import { LeaseWatch } from './lease-watch.js';
import {
  PERMIT_OPERATIONS,
  type PermitActorKit,
  type PermitOperation,
  runPermitOperation,
} from './permit-operations.js';
import { Random } from './random.js';

/** The engine's public entry point (`lib/core/index.ts`, or `dist/cjs/core/index.js`). */
export type CoreLibrary = typeof Core;
type Lock = Core.Lock;
type Permit = Core.Permit;
type LockManager = Core.LockManager;

/** What one manager takes locks on, and how to let go of it after the manager closed. */
export interface ManagerBackend {
  readonly clients: Core.LockClients;
  dispose(): void | Promise<void>;
}

export interface ActorsEnvironment {
  readonly lib: CoreLibrary;
  /** A fresh backend for manager slot `slot` (called again each time a manager is replaced). */
  backend(slot: number): ManagerBackend;
}

export interface ActorsConfig {
  /** Names the process in records: `main`, `w1`, ... */
  readonly process: string;
  readonly seed: number;
  /** Actors start new operations until this long after the start. */
  readonly durationMs: number;
  readonly actors: number;
  readonly managers: number;
  readonly keys: readonly string[];
  readonly keyPrefix: string;
  /** Lock ttls drawn from, in milliseconds. */
  readonly ttls: readonly number[];
  /** Longest ttl an extension asks for. */
  readonly maxExtendTtl: number;
  /**
   * Actors that take semaphore permits, beside the `actors` that take locks, on the same
   * managers (their own random streams: the lock actors of a seed do what they did without them).
   */
  readonly semaphoreActors: number;
  /** The semaphore keys (never lock keys), each with the one `permits` every caller uses. */
  readonly semaphores: Readonly<Record<string, number>>;
}

export interface ActorsResult {
  readonly leases: LeaseRecord[];
  /** Operations started, by kind. */
  readonly operations: Record<string, number>;
  /** How operations ended: `<operation> <outcome>`. */
  readonly outcomes: Record<string, number>;
  /** Locks released with success, and withLock calls that returned their result. */
  readonly criticalSections: number;
  /** The same for semaphore permits: released with success, or withPermit returned. */
  readonly permitSections: number;
  readonly violations: Violation[];
}

/** How often an actor draws each operation. */
const OPERATIONS = {
  acquire: 30,
  tryAcquire: 15,
  withLock: 20,
  abort: 8,
  timeout: 8,
  close: 1,
} as const;
type Operation = keyof typeof OPERATIONS;

const SAMPLE_EVERY_MS = 10;

/** The waiterTtl of every other manager: under most of a round's ttls (see createInstance). */
const SHORT_WAITER_TTL = 150;
/**
 * No operation may take longer than this (waits are at most 2 s, holds a few ttls): one that
 * does is reported as hung, and its actor goes on with the next operation.
 */
const HUNG_AFTER_MS = 30_000;

export interface ManagerInstance {
  readonly id: string;
  readonly manager: LockManager;
  readonly backend: ManagerBackend;
  /** Machine time at which close() resolved. */
  closedAt: number | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the actors of one process for `durationMs`, then closes every manager. */
export async function runActors(
  environment: ActorsEnvironment,
  config: ActorsConfig,
): Promise<ActorsResult> {
  const { lib } = environment;
  const root = new Random(config.seed).fork(config.process);
  const started = machineNow();
  const deadline = started + config.durationMs;
  const leases: LeaseRecord[] = [];
  const operations: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const violations: Violation[] = [];
  const live = new Set<LeaseWatch>();
  /** Watches by `key|first 8 characters of the token`, as events name a lease. */
  const byEventName = new Map<string, LeaseWatch>();
  /** When the engine granted each lease (its `acquired` event), until the call hands it out. */
  const grantedAt = new Map<string, number>();
  let criticalSections = 0;
  let permitSections = 0;
  let leaseCount = 0;

  const count = (table: Record<string, number>, name: string): void => {
    table[name] = (table[name] ?? 0) + 1;
  };
  const outcome = (operation: string, result: string): void =>
    count(outcomes, `${operation} ${result}`);

  // Managers: one slot per manager, replaced by a new manager when an actor closes it.
  let generation = 0;
  const createInstance = (slot: number): ManagerInstance => {
    const backend = environment.backend(slot);
    // Every other slot has a waiterTtl under most ttls of the round: a lock handed to its waiters
    // is then confirmed a third of the way into that grant ttl, not at once, and releasers and
    // waiters of one key disagree on the grant ttl.
    const manager = new lib.LockManager(backend.clients, {
      keyPrefix: config.keyPrefix,
      ...(slot % 2 === 1 ? { waiterTtl: SHORT_WAITER_TTL } : {}),
    });
    const instance: ManagerInstance = {
      id: `${config.process}/m${slot}.${generation++}`,
      manager,
      backend,
      closedAt: undefined,
    };
    manager.on('acquired', (event) => grantedAt.set(`${event.key}|${event.token}`, machineNow()));
    manager.on('extended', (event) => {
      const watch = byEventName.get(`${event.key}|${event.token}`);
      watch?.record.notes.push([
        machineNow(),
        `extended to ttl ${event.ttl}${event.automatic ? ' (renewal)' : ''}`,
      ]);
      watch?.observe();
    });
    // How waits for permits end: evidence that the queue served them (a grant handed over by a
    // release ends a wait), not only free permits.
    manager.on('waitEnded', (event) => {
      if (Object.hasOwn(config.semaphores, event.key)) outcome('permit-wait', event.outcome);
    });
    manager.on('lost', (event) => {
      const watch = byEventName.get(`${event.key}|${event.token}`);
      watch?.record.notes.push([machineNow(), `lost (${event.error.reason})`]);
      watch?.observe();
    });
    return instance;
  };
  const slots = Array.from({ length: config.managers }, (_, slot) => ({
    current: createInstance(slot),
    replacing: undefined as Promise<void> | undefined,
  }));
  const managerOf = new Map<LeaseWatch, ManagerInstance>();

  const closeInstance = async (instance: ManagerInstance): Promise<void> => {
    await instance.manager.close();
    instance.closedAt = machineNow();
    for (const watch of live) {
      if (managerOf.get(watch) !== instance) continue;
      watch.observe();
      if (watch.believes) {
        violations.push({
          kind: 'after-close',
          at: instance.closedAt,
          message: `${watch.record.id} (manager ${instance.id}) still held after close() resolved`,
        });
      }
    }
    instance.manager.removeAllListeners();
    await instance.backend.dispose();
  };

  const replace = (slot: number): Promise<void> => {
    const entry = slots[slot]!;
    entry.replacing ??= (async () => {
      const old = entry.current;
      try {
        await closeInstance(old);
      } finally {
        entry.current = createInstance(slot);
        entry.replacing = undefined;
      }
    })();
    return entry.replacing;
  };

  const sampler = setInterval(() => {
    for (const watch of live) {
      watch.observe();
      if (watch.done && !watch.believes) live.delete(watch);
    }
  }, SAMPLE_EVERY_MS);

  /** Starts watching a lease the moment a call handed it over. */
  const watchLease = (
    lock: Lock | Permit,
    instance: ManagerInstance,
    via: string,
    ttl: number,
    autoExtend: boolean,
    actor: number,
  ): LeaseWatch => {
    const permit = lock.kind === 'permit' ? lock : undefined;
    const record: LeaseRecord = {
      id: `${config.process}.${permit ? 's' : 'a'}${actor}.${leaseCount++}`,
      process: config.process,
      manager: instance.id,
      keys: lock.kind === 'permit' ? [lock.key] : [...lock.keys],
      token: lock.token,
      fencingToken: lock.kind === 'permit' ? 0 : lock.fencingToken,
      via,
      ttl,
      autoExtend,
      ...(permit && { permit: { weight: permit.weight, permits: permit.permits } }),
      observations: [],
      notes: [],
    };
    const watch = new LeaseWatch(lock, record);
    watch.observe();
    if (record.permit) {
      outcome('permit-held', `weight ${record.permit.weight} of ${record.permit.permits}`);
    }
    leases.push(record);
    live.add(watch);
    managerOf.set(watch, instance);
    const name = `${lock.key}|${lock.token.slice(0, 8)}`;
    byEventName.set(name, watch);
    const granted = grantedAt.get(name);
    grantedAt.delete(name);
    // A lease granted before close() resolved, and given back by it, may reach its caller a few
    // promise hops after close() resolved: harmless while the caller is told it is not held.
    // Granted after close(), or still believed held, it is a broken promise of close().
    const grantedBeforeClose =
      granted !== undefined && instance.closedAt !== undefined && granted <= instance.closedAt;
    if (instance.closedAt !== undefined && (watch.believes || !grantedBeforeClose)) {
      violations.push({
        kind: 'after-close',
        at: record.observations[0]?.[0],
        message: `${via}() handed out ${record.id} ${(machineNow() - instance.closedAt).toFixed(1)} ms after close() of manager ${instance.id} resolved${watch.believes ? ', and it believes it holds the lock' : ''}`,
      });
    }
    return watch;
  };

  const finishWatch = (watch: LeaseWatch, end: string): void => {
    watch.record.end = end;
    watch.done = true;
    watch.settled();
    byEventName.delete(`${watch.lock.key}|${watch.lock.token.slice(0, 8)}`);
  };

  /** Classifies an operation's failure; anything but the library's own errors is a bug. */
  const failed = (operation: string, error: unknown): string => {
    if (error instanceof lib.RedisLockError) {
      const reason = (error as { reason?: string }).reason;
      const name = reason ? `${error.name}(${reason})` : error.name;
      outcome(operation, name);
      return name;
    }
    outcome(operation, 'unexpected-error');
    violations.push({
      kind: 'unexpected-error',
      at: machineNow(),
      message: `${operation} failed with an error that is not the library's: ${
        error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)
      }`,
    });
    return 'unexpected-error';
  };

  const pickKeys = (rng: Random): string | string[] => {
    if (config.keys.length > 1 && rng.chance(0.2)) {
      const first = rng.pick(config.keys);
      const second = rng.pick(config.keys.filter((key) => key !== first));
      return [first, second];
    }
    return rng.pick(config.keys);
  };

  /** Operations on permits are counted apart, so that lock figures compare with older runs. */
  const named = (watch: LeaseWatch, operation: string): string =>
    watch.record.permit ? `permit-${operation}` : operation;

  /** What a holder does with a lease: wait a little, extend (longer, shorter or the same). */
  const work = async (watch: LeaseWatch, rng: Random): Promise<void> => {
    const { lock } = watch;
    const steps = rng.int(0, 3);
    for (let step = 0; step < steps; step++) {
      if (!rng.chance(0.5)) {
        // Mostly short, sometimes past the ttl: renewals (or their absence) must carry it.
        await sleep(rng.chance(0.1) ? rng.int(lock.ttl, lock.ttl * 2) : rng.int(0, lock.ttl / 4));
        continue;
      }
      const kind = rng.weighted({ longer: 2, shorter: 1, same: 1 });
      const ttl =
        kind === 'longer'
          ? Math.min(config.maxExtendTtl, lock.ttl * rng.int(2, 5))
          : kind === 'shorter'
            ? Math.max(60, Math.floor(lock.ttl * (0.3 + rng.next() * 0.5)))
            : undefined;
      const extend = named(watch, `extend-${kind}`);
      count(operations, extend);
      const notes = watch.record.notes;
      notes.push([machineNow(), `extend(${ttl ?? ''}) from ttl ${lock.ttl}`]);
      try {
        const extending = lock.extend(ttl);
        // The engine bounds the validity by the extension the moment it is sent (a shorter ttl
        // may apply before its reply comes): the belief changes now, not at the reply.
        watch.observe();
        await extending;
        outcome(extend, 'ok');
        notes.push([machineNow(), `extend(${ttl ?? ''}) ok`]);
      } catch (error) {
        notes.push([machineNow(), `extend(${ttl ?? ''}) failed: ${failed(extend, error)}`]);
        watch.observe();
        return;
      } finally {
        watch.observe();
      }
    }
  };

  const holdAndRelease = async (watch: LeaseWatch, rng: Random): Promise<void> => {
    await work(watch, rng);
    const release = named(watch, 'release');
    count(operations, release);
    watch.record.notes.push([machineNow(), 'release()']);
    watch.giveUp();
    const releasing = watch.lock.release();
    try {
      await releasing;
      outcome(release, 'ok');
      if (watch.record.permit) permitSections++;
      else criticalSections++;
      finishWatch(watch, 'released');
    } catch (error) {
      finishWatch(
        watch,
        `release failed: ${failed(release, error)} (${String((error as Error).message).slice(0, 160)})`,
      );
    }
  };

  const run = async (operation: Operation, actor: number, rng: Random): Promise<void> => {
    const slot = rng.int(0, slots.length - 1);
    if (operation === 'close') {
      await replace(slot);
      outcome('close', 'ok');
      return;
    }
    const instance = slots[slot]!.current;
    const { manager } = instance;
    const keys = pickKeys(rng);
    const ttl = rng.pick(config.ttls);
    const autoExtend = rng.chance(0.7);
    switch (operation) {
      case 'acquire':
      case 'timeout': {
        const waitTimeout = operation === 'timeout' ? rng.int(1, 60) : rng.int(100, 1_500);
        const lock = await manager.acquire(keys, { ttl, waitTimeout, autoExtend });
        outcome(operation, 'granted');
        return holdAndRelease(watchLease(lock, instance, 'acquire', ttl, autoExtend, actor), rng);
      }
      case 'tryAcquire': {
        const lock = await manager.tryAcquire(keys, { ttl, autoExtend });
        if (!lock) return outcome(operation, 'held');
        outcome(operation, 'granted');
        return holdAndRelease(
          watchLease(lock, instance, 'tryAcquire', ttl, autoExtend, actor),
          rng,
        );
      }
      case 'abort': {
        const controller = new AbortController();
        const timer = setTimeout(
          () => controller.abort(new Error('caller gave up')),
          rng.int(0, 200),
        );
        let lock: Lock;
        try {
          lock = await manager.acquire(keys, {
            ttl,
            waitTimeout: 2_000,
            autoExtend,
            signal: controller.signal,
          });
        } finally {
          clearTimeout(timer);
          const left = getEventListeners(controller.signal, 'abort').length;
          if (left > 0) {
            violations.push({
              kind: 'listener-left',
              at: machineNow(),
              message: `acquire() left ${left} abort listener(s) on the caller's signal after it settled`,
            });
          }
        }
        outcome(operation, 'granted');
        return holdAndRelease(watchLease(lock, instance, 'acquire', ttl, autoExtend, actor), rng);
      }
      case 'withLock': {
        let watch: LeaseWatch | undefined;
        const expected = `${actor}:${rng.int(0, 1e9)}`;
        try {
          const result = await manager.withLock(
            keys,
            async (lock) => {
              watch = watchLease(lock, instance, 'withLock', ttl, true, actor);
              await work(watch, rng);
              watch.giveUp();
              return expected;
            },
            { ttl, waitTimeout: rng.int(100, 1_500) },
          );
          if (result !== expected) {
            violations.push({
              kind: 'unexpected-error',
              message: `withLock() returned ${String(result)}, not what the work returned`,
            });
          }
          outcome(operation, 'ok');
          criticalSections++;
          if (watch) finishWatch(watch, 'withLock returned');
        } catch (error) {
          const name = failed(operation, error);
          if (watch) finishWatch(watch, `withLock failed: ${name}`);
        }
        return;
      }
    }
  };

  /** Settles like `work`, or reports it hung after HUNG_AFTER_MS and gives up waiting. */
  const unlessHung = async (what: string, work: Promise<void>): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const hung = await Promise.race([
      work.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), HUNG_AFTER_MS))),
    ]);
    clearTimeout(timer);
    if (hung) {
      violations.push({
        kind: 'hung',
        at: machineNow(),
        message: `${what} did not settle within ${HUNG_AFTER_MS / 1_000} s`,
      });
    }
  };

  const actors = Array.from({ length: config.actors }, async (_, actor) => {
    const program = root.fork(`actor-${actor}`);
    for (let step = 0; machineNow() < deadline; step++) {
      // Each operation draws from its own stream: what the n-th operation of an actor does
      // depends on the seed only, not on how earlier operations turned out.
      const rng = program.fork(`op-${step}`);
      const operation = rng.weighted(OPERATIONS);
      count(operations, operation);
      await unlessHung(
        `operation ${step} of actor ${actor} (${operation})`,
        run(operation, actor, rng).catch((error: unknown) => void failed(operation, error)),
      );
    }
  });

  const permitKit: PermitActorKit = {
    lib,
    semaphores: config.semaphores,
    ttls: config.ttls,
    managers: slots.length,
    // A manager being closed refuses new calls at once, without a macrotask in between: a
    // semaphore actor (which never closes one, so never waits for a replacement as lock actors
    // do) would spin on such refusals and starve the close it waits for.
    instance: async (slot) => {
      const entry = slots[slot]!;
      while (entry.replacing) await entry.replacing;
      return entry.current;
    },
    watch: watchLease,
    work,
    holdAndRelease,
    finish: finishWatch,
    completed: () => void permitSections++,
    failed,
    outcome,
    violation: (violation) => void violations.push(violation),
  };
  // Streams of their own (not `actor-<n>`): the lock actors of a seed draw what they drew before
  // semaphores were added.
  const permitActors = Array.from({ length: config.semaphoreActors }, async (_, actor) => {
    const program = root.fork(`semaphore-actor-${actor}`);
    for (let step = 0; machineNow() < deadline; step++) {
      const rng = program.fork(`op-${step}`);
      const operation: PermitOperation = rng.weighted(PERMIT_OPERATIONS);
      const name = `permit-${operation}`;
      count(operations, name);
      await unlessHung(
        `operation ${step} of semaphore actor ${actor} (${operation})`,
        runPermitOperation(permitKit, operation, actor, rng).catch(
          (error: unknown) => void failed(name, error),
        ),
      );
    }
  });
  await Promise.all([...actors, ...permitActors]);

  for (const entry of slots) {
    const closing = (async () => {
      if (entry.replacing) await entry.replacing;
      await closeInstance(entry.current);
    })();
    await unlessHung(`closing manager ${entry.current.id} at the end`, closing);
  }
  clearInterval(sampler);
  for (const watch of live) {
    watch.observe();
    if (watch.believes) {
      violations.push({
        kind: 'after-close',
        message: `${watch.record.id} still believes it holds the lock after every manager closed`,
      });
    }
  }
  live.clear();
  return { leases, operations, outcomes, criticalSections, permitSections, violations };
}
