import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { RedisLockModule } from 'nestjs-redis-lock';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { CatalogService } from './catalog/catalog.service';
import type { SampleConfig } from './config';
import { SaleEvents } from './events/sale-events.service';
import { HealthController } from './health/health.controller';
import { SettleOrdersJob } from './jobs/settle-orders.job';
import { OrderIdService } from './orders/order-id.service';
import { ProductsController } from './products/products.controller';
import { StockService } from './products/stock.service';
import { SAMPLE_CONFIG, SampleConfigModule } from './sample-config.module';
import { ShopKeys } from './shop-keys';
import { stockRepositoryProvider } from './stock/stock-repository.provider';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    SampleConfigModule,
    ScheduleModule.forRoot(),
    // Settings come from the environment through @nestjs/config.
    RedisLockModule.forRootAsync({
      inject: [SAMPLE_CONFIG, ShopKeys],
      useFactory: (config: SampleConfig, keys: ShopKeys) => ({
        url: config.redisUrl,
        keyPrefix: keys.lockPrefix,
        ttl: config.lockTtlMs,
      }),
    }),
  ],
  controllers: [ProductsController, AccountsController, HealthController],
  providers: [
    stockRepositoryProvider,
    StockService,
    SaleEvents,
    OrderIdService,
    CatalogService,
    AccountsService,
    SettleOrdersJob,
  ],
})
export class AppModule {}
