import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DistributedLock, InjectRedisLockClient, RedisLockService } from 'nestjs-redis-lock';
import { OrderIdService } from '../orders/order-id.service';
import { keys } from '../redis-keys';

export type PurchaseResult =
  | { readonly sold: true; readonly orderId: string; readonly fencingToken?: number }
  | { readonly sold: false; readonly reason: 'sold-out' };

/**
 * The flash-sale stock. `buy` is a deliberately NON-atomic check-then-decrement: read the
 * stock, check it, write it back minus one, record the order. Run concurrently without a lock,
 * two buyers read the same stock and both sell the last item: the lock is the only thing that
 * prevents overselling here (in production you would also make the write atomic).
 */
@Injectable()
export class StockService {
  constructor(
    @InjectRedisLockClient() private readonly redis: Redis,
    private readonly orderIds: OrderIdService,
    private readonly locks: RedisLockService,
  ) {}

  async reset(productId: string, stock: number): Promise<void> {
    await this.redis.multi().set(keys.stock(productId), stock).del(keys.orders(productId)).exec();
  }

  async state(productId: string): Promise<{ stock: number; orders: string[] }> {
    const [stock, orders] = await Promise.all([
      this.redis.get(keys.stock(productId)),
      this.redis.lrange(keys.orders(productId), 0, -1),
    ]);
    return { stock: Number(stock ?? 0), orders };
  }

  /**
   * A look at the stock without the lock: once it is sold out, buyers are turned away without
   * queueing for the lock. Only a hint; `buy` checks again under the lock.
   */
  async soldOut(productId: string): Promise<boolean> {
    return Number((await this.redis.get(keys.stock(productId))) ?? 0) <= 0;
  }

  /** One purchase, with every instance of the app taking turns on the product's lock. */
  @DistributedLock('stock:<productId>', { waitTimeout: 30_000 })
  async buy(productId: string): Promise<PurchaseResult> {
    const result = await this.buyUnlocked(productId);
    // Inside the lock the fencing token is there for downstream writes that want it.
    return result.sold ? { ...result, fencingToken: this.locks.current()?.fencingToken } : result;
  }

  /** The same purchase without a lock: the oversell the lock prevents. */
  async buyUnlocked(productId: string): Promise<PurchaseResult> {
    const stock = Number((await this.redis.get(keys.stock(productId))) ?? 0);
    if (stock <= 0) return { sold: false, reason: 'sold-out' };
    // Real work happens between the read and the write (payment checks, an id from Redis...):
    // that is the window concurrent buyers race through.
    const orderId = await this.orderIds.next();
    await sleep(1);
    await this.redis.set(keys.stock(productId), stock - 1);
    await this.redis.rpush(keys.orders(productId), orderId);
    return { sold: true, orderId };
  }
}
