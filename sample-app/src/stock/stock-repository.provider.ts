import type { Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS_LOCK_CLIENT } from 'nestjs-redis-lock';
import type { SampleConfig } from '../config';
import { SAMPLE_CONFIG } from '../sample-config.module';
import { ShopKeys } from '../shop-keys';
import { PostgresStockRepository } from './postgres-stock.repository';
import { RedisStockRepository } from './redis-stock.repository';
import { STOCK_REPOSITORY, type StockRepository } from './stock-repository.interface';

/** PostgreSQL when `DATABASE_URL` is set, else Redis (the connection of the lock module). */
export const stockRepositoryProvider: Provider<Promise<StockRepository>> = {
  provide: STOCK_REPOSITORY,
  inject: [SAMPLE_CONFIG, ShopKeys, REDIS_LOCK_CLIENT],
  useFactory: async (
    config: SampleConfig,
    keys: ShopKeys,
    redis: Redis,
  ): Promise<StockRepository> =>
    config.databaseUrl
      ? PostgresStockRepository.open(
          { connectionString: config.databaseUrl },
          config.databaseSchema,
        )
      : new RedisStockRepository(redis, keys),
};
