/** Every key the shop keeps in Redis (its data, not its locks: those are under `lock:`). */
export const keys = {
  stock: (productId: string) => `shop:stock:${productId}`,
  orders: (productId: string) => `shop:orders:${productId}`,
  orderSequence: (day: string) => `shop:order-seq:${day}`,
  catalog: (productId: string) => `shop:catalog:${productId}`,
  catalogRebuilds: (productId: string) => `shop:catalog-rebuilds:${productId}`,
  balance: (accountId: string) => `shop:balance:${accountId}`,
  settlements: 'shop:settlements',
} as const;
