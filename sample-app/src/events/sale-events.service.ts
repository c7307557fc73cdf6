import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RedisLockService } from 'nestjs-redis-lock';
import type { SampleConfig } from '../config';
import { SAMPLE_CONFIG } from '../sample-config.module';
import { SALE_EVENT_PREFIX, type SaleEvent, type SaleEventInput } from './sale-event.interface';

/**
 * With `SALE_EVENTS=stdout`, prints the life of every stock lock (from the lock manager's
 * events) and every stock read and write as `EVENT {json}` lines: the demo's timeline is drawn
 * from them. Without it, nothing is printed and no listener is attached.
 */
@Injectable()
export class SaleEvents implements OnModuleInit, OnModuleDestroy {
  private detach: () => void = () => undefined;

  constructor(
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
    private readonly locks: RedisLockService,
  ) {}

  get enabled(): boolean {
    return this.config.saleEvents;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    const { manager } = this.locks;
    // Only the stock locks: the cron job's and the cache's would crowd the timeline.
    const stock = (key: string): boolean => key.startsWith('stock:');
    const acquired = ({ key, fencingToken }: { key: string; fencingToken: number }): void => {
      if (stock(key)) this.emit({ type: 'acquired', key, token: fencingToken });
    };
    const released = ({ key, fencingToken }: { key: string; fencingToken: number }): void => {
      if (stock(key)) this.emit({ type: 'released', key, token: fencingToken });
    };
    const lost = ({
      key,
      fencingToken,
      error,
    }: {
      key: string;
      fencingToken: number;
      error: { reason: string };
    }): void => {
      if (stock(key)) this.emit({ type: 'lost', key, token: fencingToken, reason: error.reason });
    };
    manager.on('acquired', acquired);
    manager.on('released', released);
    manager.on('lost', lost);
    this.detach = () => {
      manager.off('acquired', acquired);
      manager.off('released', released);
      manager.off('lost', lost);
    };
  }

  onModuleDestroy(): void {
    this.detach();
  }

  /** Prints one event, stamped with the time; synchronous on a pipe, so it leaves before the next step. */
  emit(event: SaleEventInput): void {
    if (!this.enabled) return;
    const line: SaleEvent = { ...event, t: Date.now() } as SaleEvent;
    process.stdout.write(`${SALE_EVENT_PREFIX}${JSON.stringify(line)}\n`);
  }
}
