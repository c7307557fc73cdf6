import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { InjectRedisLockClient, RedisLockService } from 'nestjs-redis-lock';
import { ShopKeys } from '../shop-keys';

export interface ProductView {
  readonly productId: string;
  readonly title: string;
  readonly builtAt: string;
}

/**
 * Cache rebuild protection: when the cached product page is missing, many requests (on every
 * instance) miss at once. Only the one that gets the lock rebuilds it; the others wait for the
 * lock, then find the fresh value in the cache (the second look) instead of rebuilding again.
 */
@Injectable()
export class CatalogService {
  /** How long a rebuild takes (an expensive query in a real shop). */
  static rebuildMs = 150;

  constructor(
    @InjectRedisLockClient() private readonly redis: Redis,
    private readonly locks: RedisLockService,
    private readonly keys: ShopKeys,
  ) {}

  async get(productId: string): Promise<ProductView> {
    const cached = await this.redis.get(this.keys.catalog(productId));
    if (cached) return JSON.parse(cached) as ProductView;
    return this.locks.withLock(`catalog:${productId}`, async () => {
      const rebuilt = await this.redis.get(this.keys.catalog(productId));
      if (rebuilt) return JSON.parse(rebuilt) as ProductView;
      const view = await this.rebuild(productId);
      await this.redis.set(this.keys.catalog(productId), JSON.stringify(view), 'EX', 60);
      return view;
    });
  }

  async invalidate(productId: string): Promise<void> {
    await this.redis.del(this.keys.catalog(productId), this.keys.catalogRebuilds(productId));
  }

  private async rebuild(productId: string): Promise<ProductView> {
    await this.redis.incr(this.keys.catalogRebuilds(productId));
    await sleep(CatalogService.rebuildMs);
    return { productId, title: `Product ${productId}`, builtAt: new Date().toISOString() };
  }
}
