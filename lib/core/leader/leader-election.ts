import { InvalidLockOptionsError } from '../errors/invalid-lock-options.error.js';
import { LockManagerClosedError } from '../errors/lock-manager-closed.error.js';
import { LockReleasedError } from '../errors/lock-released.error.js';
import type { LeaderElectionOptions } from '../interfaces/leader-election-options.interface.js';
import type { Lock } from '../lock.js';
import type { AcquireOptions } from '../interfaces/acquire-options.interface.js';
import { describeValue } from '../options/describe-value.util.js';
import {
  assertKnownOptions,
  validateKey,
  validateOptionsObject,
  validateSignal,
  validateTtl,
} from '../options/validation.js';
import { abortableDelay, jittered } from '../util/delay.util.js';
import type { LeaderTerm } from './leader-term.interface.js';

/** First and longest pause before the campaign is tried again after Redis refused it. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 10_000;

const OPTIONS = ['onElected', 'onRevoked', 'onError', 'ttl', 'signal'] as const;

/** The term being served: its lock, and how it is ended (once). */
interface Served {
  readonly lock: Lock;
  readonly term: LeaderTerm;
  end(reason: unknown): void;
}

/**
 * What a candidate needs of its lock manager: the one call it campaigns with (an interface, so
 * the election does not import the manager that creates it).
 * @internal
 */
export interface LeaderCampaignHost {
  acquire(key: string, options: AcquireOptions): Promise<Lock>;
}

/**
 * One candidate of a leader election, from `LockManager.electLeader()`: it campaigns until it
 * is stopped, leads while it holds the election's lock, and campaigns again after losing it.
 * At most one candidate holds the lock at a time, so at most one believes itself leader while
 * its process runs; a candidate whose process stops (SIGSTOP, a long pause) may believe it a
 * while longer when it resumes, which the term's fencing token is for.
 * @publicApi
 */
export class LeaderElection implements AsyncDisposable {
  /** The election's name: the key of its leader lock. */
  readonly name: string;

  private readonly ttl: number | undefined;
  private readonly stopping = new AbortController();
  private readonly campaigning: Promise<void>;
  private served: Served | undefined;
  private stopped: Promise<void> | undefined;

  /** @internal */
  constructor(
    private readonly manager: LeaderCampaignHost,
    name: string,
    private readonly options: LeaderElectionOptions,
  ) {
    this.name = name;
    this.ttl = options.ttl;
    const { signal } = options;
    if (signal) {
      if (signal.aborted) this.stopping.abort(signal.reason);
      else signal.addEventListener('abort', () => void this.stop(), { once: true });
    }
    this.campaigning = this.campaign();
  }

  /**
   * Whether this candidate leads right now: it holds the leader lock within its validity,
   * measured on this process's monotonic clock (so a process that resumes after a pause past
   * its ttl sees `false` at once, before its timers run).
   */
  get isLeader(): boolean {
    const served = this.served;
    return served !== undefined && !served.term.signal.aborted && served.lock.isHeld;
  }

  /** The term this candidate is serving, if it leads. */
  get term(): LeaderTerm | undefined {
    return this.isLeader ? this.served!.term : undefined;
  }

  /**
   * Ends the candidacy: a term being served ends first (its signal aborts and `onRevoked` runs)
   * and only then is the leader lock released, so the next leader is elected after this one
   * stepped down. Resolves once the release is confirmed (or failed: the lock then expires).
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping.abort(new LockReleasedError(this.name));
      const served = this.served;
      if (served) {
        served.end(new LockReleasedError(this.name));
        await served.lock.release().catch(() => undefined);
      }
      await this.campaigning;
    })();
    return this.stopped;
  }

  /** Stops the candidacy at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private async campaign(): Promise<void> {
    let delay = RETRY_MIN_MS;
    const { signal } = this.stopping;
    while (!signal.aborted) {
      let lock: Lock;
      try {
        // Barging, not fair: after a leader dies, whichever candidate looks first at the end of
        // its ttl wins, rather than a queued candidate that may be dead too.
        lock = await this.manager.acquire(this.name, {
          ...(this.ttl !== undefined && { ttl: this.ttl }),
          autoExtend: true,
          waitTimeout: Infinity,
          fair: false,
          signal,
        });
      } catch (error) {
        if (signal.aborted || error instanceof LockManagerClosedError) return;
        this.report(error);
        await abortableDelay(jittered(delay), signal);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
        continue;
      }
      delay = RETRY_MIN_MS;
      if (signal.aborted) {
        // Stopped while the grant was on its way.
        await lock.release().catch(() => undefined);
        return;
      }
      await this.serve(lock);
    }
  }

  /** Serves one term: resolves when it ends. */
  private serve(lock: Lock): Promise<void> {
    const controller = new AbortController();
    const term: LeaderTerm = {
      name: this.name,
      fencingToken: lock.fencingToken,
      signal: controller.signal,
    };
    return new Promise<void>((resolve) => {
      const served: Served = {
        lock,
        term,
        end: (reason) => {
          if (controller.signal.aborted) return;
          controller.abort(reason);
          if (this.served === served) this.served = undefined;
          this.call(() => this.options.onRevoked?.(reason, term));
          resolve();
        },
      };
      this.served = served;
      // The lease tells its loss before it gives the lock back: the term ends before anyone
      // else can win the next one.
      lock.signal.addEventListener('abort', () => served.end(lock.signal.reason), { once: true });
      if (lock.signal.aborted) return served.end(lock.signal.reason);
      this.call(() => this.options.onElected(controller.signal, term));
    });
  }

  /** Runs a callback of the caller's: what it throws or rejects with goes to onError. */
  private call(callback: () => unknown): void {
    try {
      const result = callback();
      if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.report(error));
      }
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    const { onError } = this.options;
    if (onError) {
      try {
        onError(error);
      } catch {
        // An error handler that fails has nowhere left to report to.
      }
      return;
    }
    process.emitWarning(
      `Leader election "${this.name}": ${error instanceof Error ? error.message : String(error)}`,
      { code: 'REDIS_LOCK_LEADER_ERROR' },
    );
  }
}

/**
 * Checks what `electLeader()` was given, before anything is sent to Redis.
 * @internal
 */
export function validateLeaderElection(
  name: unknown,
  options: unknown,
  maxKeyLength: number,
): { name: string; options: LeaderElectionOptions } {
  const key = validateKey(name, maxKeyLength);
  const input = validateOptionsObject(options, 'electLeader()') as Partial<LeaderElectionOptions>;
  assertKnownOptions(input, OPTIONS, 'electLeader()');
  if (typeof input.onElected !== 'function') {
    throw new InvalidLockOptionsError(
      'onElected',
      `electLeader() needs onElected, a function called with the term's AbortSignal when this candidate is elected, but received ${describeValue(input.onElected)}.`,
    );
  }
  for (const callback of ['onRevoked', 'onError'] as const) {
    if (input[callback] !== undefined && typeof input[callback] !== 'function') {
      throw new InvalidLockOptionsError(
        callback,
        `electLeader() option ${callback} must be a function, but received ${describeValue(input[callback])}.`,
      );
    }
  }
  if (input.ttl !== undefined) validateTtl(input.ttl);
  if (input.signal !== undefined) validateSignal(input.signal);
  return { name: key, options: input as LeaderElectionOptions };
}
