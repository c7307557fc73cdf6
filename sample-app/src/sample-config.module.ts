import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { readConfig, type SampleConfig } from './config';
import { ShopKeys } from './shop-keys';

/** Injection token of the app's `SampleConfig`. */
export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');

/**
 * The settings, read once per app through `@nestjs/config` (environment and `.env`; the app
 * module loads it globally), and the Redis key names that follow from them.
 */
@Global()
@Module({
  providers: [
    {
      provide: SAMPLE_CONFIG,
      inject: [ConfigService],
      useFactory: (config: ConfigService): SampleConfig =>
        readConfig((name) => config.get<string>(name)),
    },
    {
      provide: ShopKeys,
      inject: [SAMPLE_CONFIG],
      useFactory: (config: SampleConfig) => new ShopKeys(config.keyPrefix),
    },
  ],
  exports: [SAMPLE_CONFIG, ShopKeys],
})
export class SampleConfigModule {}
