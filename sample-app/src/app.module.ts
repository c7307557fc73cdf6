import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { RedisLockModule } from 'nestjs-redis-lock';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { CatalogService } from './catalog/catalog.service';
import { DEFAULT_REDIS_URL } from './config';
import { HealthController } from './health/health.controller';
import { SettleOrdersJob } from './jobs/settle-orders.job';
import { OrderIdService } from './orders/order-id.service';
import { ProductsController } from './products/products.controller';
import { StockService } from './products/stock.service';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    ScheduleModule.forRoot(),
    // Settings come from the environment through @nestjs/config.
    RedisLockModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        url: config.get<string>('REDIS_URL') || DEFAULT_REDIS_URL,
        keyPrefix: 'shop:lock:',
        ttl: 10_000,
      }),
    }),
  ],
  controllers: [ProductsController, AccountsController, HealthController],
  providers: [StockService, OrderIdService, CatalogService, AccountsService, SettleOrdersJob],
})
export class AppModule {}
