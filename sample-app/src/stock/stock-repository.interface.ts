/** What one sale writes: the stock it leaves and the order it records. */
export interface SaleWrite {
  /** The stock after the sale: what the seller read, minus one. */
  readonly stockAfter: number;
  readonly orderId: string;
}

/** A product's stock, the last fencing token a write was accepted with, and its orders. */
export interface StockState {
  readonly stock: number;
  /** 0 until a fenced write is accepted. */
  readonly lastFencingToken: number;
  /** Order ids in the order they were written. */
  readonly orders: readonly string[];
}

/**
 * Where the shop keeps its stock: in Redis (`RedisStockRepository`, a Lua script) or in
 * PostgreSQL (`PostgresStockRepository`, one `UPDATE ... WHERE last_fence < $token`).
 *
 * The point is `writeSale`: a lock is a lease, and a holder paused past its ttl (a long GC, a
 * stalled VM, SIGSTOP) wakes up believing it still holds it. No check in the holder can rule
 * that out, because the pause can fall between the check and the write. The store can: it keeps
 * the last fencing token it accepted next to the stock and refuses a write carrying a token
 * that is not larger, in the same atomic step as the write.
 *
 * @example
 * @DistributedLock('stock:<productId>')
 * async buy(productId: string) {
 *   const { fencingToken } = this.locks.current()!;
 *   const stock = await this.stock.stock(productId);
 *   // ... the payment: a pause here outlives the lock ...
 *   await this.stock.writeSale(productId, { stockAfter: stock - 1, orderId }, fencingToken);
 * }
 */
export interface StockRepository {
  /**
   * Sets a product's stock and forgets its orders. The last accepted fencing token is kept:
   * tokens only grow, so an old holder stays refused across a reset.
   */
  reset(productId: string, stock: number): Promise<void>;
  /** The stock left; 0 for a product that was never stocked. */
  stock(productId: string): Promise<number>;
  state(productId: string): Promise<StockState>;
  /**
   * The fenced write: sets the stock to `sale.stockAfter`, records `sale.orderId` and remembers
   * `fencingToken`, all at once, only if `fencingToken` is larger than the last token accepted.
   * @throws StaleFencingTokenError when it is not; nothing was written
   * @throws UnknownProductError when the product has no stock record
   * @throws InvalidStockInputError for an argument it cannot use, before anything is sent
   */
  writeSale(productId: string, sale: SaleWrite, fencingToken: number): Promise<void>;
  /**
   * The same write without the fencing check: what most code does. The demo uses it to show
   * what a stale holder's write does to the stock; do not copy this one.
   */
  writeSaleUnfenced(productId: string, sale: SaleWrite): Promise<void>;
  /** Closes the connections the repository opened (none for Redis: it shares the app's). */
  close(): Promise<void>;
}

/** Injection token of the app's `StockRepository`. */
export const STOCK_REPOSITORY = Symbol('STOCK_REPOSITORY');
