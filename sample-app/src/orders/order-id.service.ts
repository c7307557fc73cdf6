import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { InjectRedisLockClient } from 'nestjs-redis-lock';
import { ShopKeys } from '../shop-keys';

/** 2026-01-01T00:00:00Z: ids count seconds from here, so 31 bits last until 2094. */
export const ORDER_ID_EPOCH_MS = Date.UTC(2026, 0, 1);
const SEQUENCE_BITS = 32n;
const MAX_SEQUENCE = (1n << SEQUENCE_BITS) - 1n;

/**
 * Globally unique order ids across every instance: a 64-bit number (kept below 2^63) made of
 * the seconds since ORDER_ID_EPOCH_MS (high 31 bits) and a per-day sequence from Redis INCR
 * (low 32 bits), returned as a decimal string (JSON numbers stop being exact at 2^53).
 *
 * Ids grow with time and are unique because the sequence is unique within a UTC day and
 * the seconds part tells days apart; no lock is needed, INCR is atomic.
 */
@Injectable()
export class OrderIdService {
  constructor(
    @InjectRedisLockClient() private readonly redis: Redis,
    private readonly keys: ShopKeys,
  ) {}

  async next(now = Date.now()): Promise<string> {
    const day = new Date(now).toISOString().slice(0, 10);
    const key = this.keys.orderSequence(day);
    const [[, sequence]] = (await this.redis
      .multi()
      .incr(key)
      // The sequence of a day is only needed during that day (plus clock slack).
      .expire(key, 2 * 24 * 3600)
      .exec()) as [[Error | null, number], [Error | null, number]];
    return OrderIdService.compose(now, sequence);
  }

  /** The id for a time and a sequence number. */
  static compose(now: number, sequence: number): string {
    const seconds = BigInt(Math.floor((now - ORDER_ID_EPOCH_MS) / 1000));
    const seq = BigInt(sequence);
    if (seconds < 0n || seconds >= 1n << 31n) {
      throw new RangeError(
        `Order ids cover 2026-01-01 to 2094; the clock says ${new Date(now).toISOString()}.`,
      );
    }
    if (seq < 1n || seq > MAX_SEQUENCE) {
      throw new RangeError(
        `The day's order sequence is exhausted (${sequence}); at most ${MAX_SEQUENCE} orders a day.`,
      );
    }
    return ((seconds << SEQUENCE_BITS) | seq).toString();
  }

  /** The time (ms, second precision) and sequence an id was made of. */
  static parse(id: string): { time: number; sequence: number } {
    const value = BigInt(id);
    return {
      time: ORDER_ID_EPOCH_MS + Number(value >> SEQUENCE_BITS) * 1000,
      sequence: Number(value & MAX_SEQUENCE),
    };
  }
}
