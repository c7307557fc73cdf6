import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import type { Redis } from 'ioredis';
import { DistributedLock, InjectRedisLockClient } from 'nestjs-redis-lock';
import { readConfig } from '../config';
import { ShopKeys } from '../shop-keys';

const config = readConfig();

/**
 * A job that must run once per tick across all instances: every instance's scheduler fires,
 * the first takes the lock, the others find it held and skip (onLocked: 'skip').
 */
@Injectable()
export class SettleOrdersJob {
  constructor(
    @InjectRedisLockClient() private readonly redis: Redis,
    private readonly keys: ShopKeys,
  ) {}

  @Cron(config.settleCron, { name: 'settle-orders' })
  @DistributedLock('job:settle-orders', { onLocked: 'skip' })
  async settle(): Promise<void> {
    // Which tick this is: the second the schedulers fired in.
    const tick = Math.floor(Date.now() / 1000);
    await this.redis.hincrby(this.keys.settlements, String(tick), 1);
    // The settlement itself (batching payments in a real shop).
    await sleep(config.settleMs);
  }
}
