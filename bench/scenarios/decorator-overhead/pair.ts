import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { DistributedLock, LockManager, RedisLockModule } from '../../../lib/index.js';

/**
 * The two things scenario 4 compares: the same method body run under the same lock, once through
 * `@DistributedLock` on a Nest provider and once with a manual acquire/release.
 */
export interface DecoratorPair {
  /** Calls the decorated provider method; the lock key is derived from `key`. */
  decorated(key: string): Promise<void>;
  /** The same body with `manager.acquire(key)` and `lock.release()` written by hand. */
  manual(key: string): Promise<void>;
  close(): Promise<void>;
}

@Injectable()
class Measured {
  constructor(private readonly manager: LockManager) {}

  // Both run an empty body under a renewed lock on `bench:<key>`, with the module's defaults.
  @DistributedLock('bench:<0>')
  async decorated(_key: string): Promise<void> {}

  async manual(key: string): Promise<void> {
    const lock = await this.manager.acquire(`bench:${key}`, { autoExtend: true });
    try {
      // the same empty body
    } finally {
      await lock.release();
    }
  }
}

/** A Nest application context with the lock module on `redis` and the measured provider. */
export async function createDecoratorPair(redis: Redis): Promise<DecoratorPair | undefined> {
  @Module({ imports: [RedisLockModule.forRoot({ client: redis })], providers: [Measured] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const measured = app.get(Measured);
  return {
    decorated: (key) => measured.decorated(key),
    manual: (key) => measured.manual(key),
    close: () => app.close(),
  };
}
