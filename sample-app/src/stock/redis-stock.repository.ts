import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ShopKeys } from '../shop-keys';
import { StaleFencingTokenError } from './errors/stale-fencing-token.error';
import { UnknownProductError } from './errors/unknown-product.error';
import { checkFencingToken, checkProductId, checkSale, checkStock } from './stock-input';
import type { SaleWrite, StockRepository, StockState } from './stock-repository.interface';

/**
 * KEYS[1] the product's stock hash { stock, fence }, KEYS[2] its orders list;
 * ARGV[1] the writer's fencing token, ARGV[2] the stock after the sale, ARGV[3] the order id.
 * Returns { 1 } when written, { 0, last accepted token } when refused, { -1 } for no product.
 *
 * The comparison and the writes run as one script: nothing can slip in between. Tokens stay
 * below 2^53, so Lua's numbers compare them exactly.
 */
const FENCED_SALE = `
local last = redis.call('HGET', KEYS[1], 'fence')
if not last then return { -1 } end
if tonumber(ARGV[1]) <= tonumber(last) then return { 0, last } end
redis.call('HSET', KEYS[1], 'stock', ARGV[2], 'fence', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[3])
return { 1 }
`;

/** The same write with no fencing check (ARGV[1] the stock after the sale, ARGV[2] the order id). */
const UNFENCED_SALE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return { -1 } end
redis.call('HSET', KEYS[1], 'stock', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
return { 1 }
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): Script => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
});

/**
 * The stock in Redis: per product a hash `{ stock, fence }` (the stock and the last fencing
 * token a write was accepted with) and a list of order ids, both under the same `{hash tag}`.
 * A sale is written by one Lua script that compares the token and writes only when it is
 * larger. Uses the app's Redis connection; it opens none of its own.
 */
export class RedisStockRepository implements StockRepository {
  private readonly fencedSale = script(FENCED_SALE);
  private readonly unfencedSale = script(UNFENCED_SALE);

  constructor(
    private readonly redis: Redis,
    private readonly keys: ShopKeys,
  ) {}

  async reset(productId: string, stock: number): Promise<void> {
    checkProductId(productId);
    checkStock('stock', stock);
    const key = this.keys.stock(productId);
    await this.redis
      .multi()
      .hset(key, 'stock', stock)
      .hsetnx(key, 'fence', 0)
      .del(this.keys.orders(productId))
      .exec();
  }

  async stock(productId: string): Promise<number> {
    checkProductId(productId);
    return Number((await this.redis.hget(this.keys.stock(productId), 'stock')) ?? 0);
  }

  async state(productId: string): Promise<StockState> {
    checkProductId(productId);
    const [[stock, fence], orders] = await Promise.all([
      this.redis.hmget(this.keys.stock(productId), 'stock', 'fence'),
      this.redis.lrange(this.keys.orders(productId), 0, -1),
    ]);
    return { stock: Number(stock ?? 0), lastFencingToken: Number(fence ?? 0), orders };
  }

  async writeSale(productId: string, sale: SaleWrite, fencingToken: number): Promise<void> {
    checkProductId(productId);
    checkSale(sale);
    checkFencingToken(fencingToken);
    const [status, last] = (await this.run(this.fencedSale, productId, [
      fencingToken,
      sale.stockAfter,
      sale.orderId,
    ])) as [number, string?];
    if (status === -1) throw new UnknownProductError(productId);
    if (status === 0) throw new StaleFencingTokenError(productId, fencingToken, Number(last));
  }

  async writeSaleUnfenced(productId: string, sale: SaleWrite): Promise<void> {
    checkProductId(productId);
    checkSale(sale);
    const [status] = (await this.run(this.unfencedSale, productId, [
      sale.stockAfter,
      sale.orderId,
    ])) as [number];
    if (status === -1) throw new UnknownProductError(productId);
  }

  async close(): Promise<void> {
    // The connection belongs to the app's lock module, which closes it.
  }

  /** EVALSHA, and EVAL once when the server does not have the script (first use, restart). */
  private async run(
    { source, sha }: Script,
    productId: string,
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    const keys = [this.keys.stock(productId), this.keys.orders(productId)];
    try {
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(source, keys.length, ...keys, ...args);
    }
  }
}
