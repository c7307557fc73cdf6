import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DistributedLock, InjectRedisLockClient } from 'nestjs-redis-lock';
import { ShopKeys } from '../shop-keys';

export interface TransferRequest {
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/**
 * Transfers between two accounts under a multi-key lock: both accounts or neither, taken in a
 * fixed order, so a transfer A→B and a transfer B→A never wait for each other forever.
 */
@Injectable()
export class AccountsService {
  constructor(
    @InjectRedisLockClient() private readonly redis: Redis,
    private readonly keys: ShopKeys,
  ) {}

  async open(accountId: string, balance: number): Promise<void> {
    await this.redis.set(this.keys.balance(accountId), balance);
  }

  async balance(accountId: string): Promise<number> {
    return Number((await this.redis.get(this.keys.balance(accountId))) ?? 0);
  }

  @DistributedLock(['account:<transfer.from>', 'account:<transfer.to>'], { waitTimeout: 30_000 })
  async transfer(transfer: TransferRequest): Promise<{ from: number; to: number }> {
    // Read both, then write both: safe only because no other transfer touches them meanwhile.
    const [from, to] = await Promise.all([this.balance(transfer.from), this.balance(transfer.to)]);
    if (from < transfer.amount) throw new Error(`Account ${transfer.from} has only ${from}.`);
    await this.redis
      .multi()
      .set(this.keys.balance(transfer.from), from - transfer.amount)
      .set(this.keys.balance(transfer.to), to + transfer.amount)
      .exec();
    return { from: from - transfer.amount, to: to + transfer.amount };
  }
}
