import type { Redis } from 'ioredis';
import Redlock from 'redlock';
import { Mutex } from 'redis-semaphore';
import { LockManager, type Lock } from '../../../lib/core/index.js';

/** Holds many locks with each library's own automatic renewal. */
export interface RenewingHolder {
  /** Takes `key` with renewal on; resolves once it is held. */
  hold(key: string): Promise<void>;
  /** The Redis key the library stores the lock of `key` under. */
  redisKey(key: string): string;
  /** Locks the library reported lost so far. */
  lost(): number;
  releaseAll(): Promise<void>;
}

export type HolderLibrary = 'ours' | 'redlock' | 'redis-semaphore';

/** What each holder is configured with, for the results. */
export const HOLDER_SETTINGS: Readonly<Record<HolderLibrary, string>> = {
  ours: 'manager.acquire(key, { ttl, autoExtend: true }): one scheduler per manager renews due locks in batches (one EVALSHA per 128) at about ttl/3',
  redlock:
    'redlock.using([key], ttl, routine): one setTimeout per lock, extends 500 ms (automaticExtensionThreshold) before expiry, one EVALSHA per lock',
  'redis-semaphore':
    'new Mutex(redis, key, { lockTimeout: ttl }).acquire(): one setInterval per lock, refreshes every 0.8 × ttl, one EVALSHA per lock',
};

class OursHolder implements RenewingHolder {
  private readonly manager: LockManager;
  private readonly locks: Lock[] = [];
  private lostCount = 0;

  constructor(redis: Redis, ttl: number) {
    this.manager = new LockManager(redis, { ttl });
    this.manager.on('lost', () => this.lostCount++);
  }

  async hold(key: string): Promise<void> {
    this.locks.push(await this.manager.acquire(key, { autoExtend: true }));
  }

  redisKey(key: string): string {
    return this.manager.options.keyPrefix + key;
  }

  lost(): number {
    return this.lostCount;
  }

  async releaseAll(): Promise<void> {
    await Promise.all(this.locks.map((lock) => lock.release()));
    await this.manager.close();
  }
}

class RedlockHolder implements RenewingHolder {
  private readonly redlock: Redlock;
  private readonly routines: Promise<void>[] = [];
  private readonly signals: AbortSignal[] = [];
  private readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    redis: Redis,
    private readonly ttl: number,
  ) {
    this.redlock = new Redlock([redis]);
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  hold(key: string): Promise<void> {
    return new Promise((held, failed) => {
      // using() renews while its routine runs, and releases when the routine returns.
      const routine = this.redlock.using([key], this.ttl, async (signal) => {
        this.signals.push(signal);
        held();
        await this.done;
      });
      routine.catch(failed);
      this.routines.push(routine);
    });
  }

  redisKey(key: string): string {
    return key;
  }

  lost(): number {
    return this.signals.filter((signal) => signal.aborted).length;
  }

  async releaseAll(): Promise<void> {
    this.finish();
    await Promise.all(this.routines);
  }
}

class SemaphoreHolder implements RenewingHolder {
  private readonly mutexes: Mutex[] = [];
  private lostCount = 0;

  constructor(
    private readonly redis: Redis,
    private readonly ttl: number,
  ) {}

  async hold(key: string): Promise<void> {
    const mutex = new Mutex(this.redis, key, {
      lockTimeout: this.ttl,
      // The default handler throws from a timer, which would end the process.
      onLockLost: () => this.lostCount++,
    });
    await mutex.acquire();
    this.mutexes.push(mutex);
  }

  redisKey(key: string): string {
    return `mutex:${key}`;
  }

  lost(): number {
    return this.lostCount;
  }

  async releaseAll(): Promise<void> {
    await Promise.all(this.mutexes.map((mutex) => mutex.release()));
  }
}

export function createHolder(library: HolderLibrary, redis: Redis, ttl: number): RenewingHolder {
  switch (library) {
    case 'ours':
      return new OursHolder(redis, ttl);
    case 'redlock':
      return new RedlockHolder(redis, ttl);
    case 'redis-semaphore':
      return new SemaphoreHolder(redis, ttl);
  }
}
