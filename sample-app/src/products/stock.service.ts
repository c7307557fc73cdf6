import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DistributedLock, RedisLockService } from 'nestjs-redis-lock';
import type { SampleConfig } from '../config';
import { SaleEvents } from '../events/sale-events.service';
import { OrderIdService } from '../orders/order-id.service';
import { SAMPLE_CONFIG } from '../sample-config.module';
import { StaleFencingTokenError } from '../stock/errors/stale-fencing-token.error';
import {
  STOCK_REPOSITORY,
  type StockRepository,
  type StockState,
} from '../stock/stock-repository.interface';

export type PurchaseResult =
  | { readonly sold: true; readonly orderId: string; readonly fencingToken?: number }
  | { readonly sold: false; readonly reason: 'sold-out' };

/** `fenced`: the stock write carries the lock's fencing token; `unfenced`: it ignores it. */
export type FencingMode = 'fenced' | 'unfenced';

/**
 * The flash-sale stock. A sale is a deliberately NON-atomic check-then-decrement: read the
 * stock, take the payment, write the stock back minus one with the order. Run concurrently
 * without a lock, two buyers read the same stock and both sell the last item: the lock is what
 * prevents overselling here.
 *
 * The lock is a lease, though: a holder paused for longer than the ttl during the payment
 * (a GC pause, a stalled VM) resumes after another instance took the lock and sold more, and
 * writes the stock it read before. Checking `lock.isHeld` before the write would narrow that
 * window but never close it: the pause can fall between the check and the write. What closes
 * it is the fenced write: the stock refuses a token smaller than one it accepted.
 */
@Injectable()
export class StockService implements OnApplicationShutdown {
  constructor(
    @Inject(STOCK_REPOSITORY) private readonly repository: StockRepository,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
    private readonly orderIds: OrderIdService,
    private readonly locks: RedisLockService,
    private readonly events: SaleEvents,
  ) {}

  /** After the locks are released: the PostgreSQL pool, if there is one. */
  async onApplicationShutdown(): Promise<void> {
    await this.repository.close();
  }

  reset(productId: string, stock: number): Promise<void> {
    return this.repository.reset(productId, stock);
  }

  state(productId: string): Promise<StockState> {
    return this.repository.state(productId);
  }

  /**
   * A look at the stock without the lock: once it is sold out, buyers are turned away without
   * queueing for the lock. Only a hint; a sale reads it again under the lock.
   */
  async soldOut(productId: string): Promise<boolean> {
    return (await this.repository.stock(productId)) <= 0;
  }

  /**
   * One purchase, with every instance of the app taking turns on the product's lock, and the
   * stock write fenced with the lock's token (or, `unfenced`, not: to show what that costs).
   * @throws StaleFencingTokenError when this holder's lock was taken over before its write
   */
  @DistributedLock('stock:<productId>', { waitTimeout: 30_000 })
  async buy(productId: string, fencing: FencingMode = 'fenced'): Promise<PurchaseResult> {
    const { fencingToken } = this.locks.current()!;
    return this.sell(productId, fencingToken, fencing === 'fenced');
  }

  /** The same purchase without a lock: the oversell the lock prevents. */
  buyUnlocked(productId: string): Promise<PurchaseResult> {
    return this.sell(productId, undefined, false);
  }

  private async sell(
    productId: string,
    token: number | undefined,
    fenced: boolean,
  ): Promise<PurchaseResult> {
    const stock = await this.repository.stock(productId);
    this.events.emit({ type: 'read', productId, stock, token });
    if (stock <= 0) return { sold: false, reason: 'sold-out' };
    // Real work happens between the read and the write (an id from Redis, the payment...):
    // the window concurrent buyers race through, and a paused holder stops in.
    const orderId = await this.orderIds.next();
    await sleep(this.config.paymentMs);
    const sale = { stockAfter: stock - 1, orderId };
    const sentAt = Date.now();
    const written = {
      type: 'write',
      sentAt,
      productId,
      stockAfter: sale.stockAfter,
      fenced,
      token,
    } as const;
    try {
      if (fenced) await this.repository.writeSale(productId, sale, token!);
      else await this.repository.writeSaleUnfenced(productId, sale);
    } catch (error) {
      if (error instanceof StaleFencingTokenError) {
        this.events.emit({ ...written, accepted: false, lastToken: error.lastFencingToken });
      }
      throw error;
    }
    this.events.emit({ ...written, accepted: true });
    return { sold: true, orderId, ...(token !== undefined && { fencingToken: token }) };
  }
}
