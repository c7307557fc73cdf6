/**
 * Every Redis key the shop writes, under one prefix (`SHOP_KEY_PREFIX`, default `shop:`); its
 * locks live under `<prefix>lock:`. One prefix for everything is what lets the demo remove all
 * it wrote from someone's Redis.
 *
 * The stock hash and the orders list of a product share a `{hash tag}`, so the fenced write
 * that updates both in one script also works on a Redis Cluster.
 */
export class ShopKeys {
  constructor(readonly prefix = 'shop:') {}

  /** The lock module's `keyPrefix`. */
  get lockPrefix(): string {
    return `${this.prefix}lock:`;
  }

  /** Hash `{ stock, fence }`: the stock and the last fencing token a write was accepted with. */
  stock(productId: string): string {
    return `${this.prefix}stock:{${productId}}`;
  }

  /** List of the product's order ids, in the order they were written. */
  orders(productId: string): string {
    return `${this.prefix}orders:{${productId}}`;
  }

  orderSequence(day: string): string {
    return `${this.prefix}order-seq:${day}`;
  }

  catalog(productId: string): string {
    return `${this.prefix}catalog:${productId}`;
  }

  catalogRebuilds(productId: string): string {
    return `${this.prefix}catalog-rebuilds:${productId}`;
  }

  balance(accountId: string): string {
    return `${this.prefix}balance:${accountId}`;
  }

  get settlements(): string {
    return `${this.prefix}settlements`;
  }
}
