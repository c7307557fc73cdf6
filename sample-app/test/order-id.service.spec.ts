import fc from 'fast-check';
import { Redis } from 'ioredis';
import { ORDER_ID_EPOCH_MS, OrderIdService } from '../src/orders/order-id.service';
import { ShopKeys } from '../src/shop-keys';
import { startRedis, stopAllRedis, type RedisServer } from '../../test/support/redis-server';

describe('OrderIdService', () => {
  let server: RedisServer;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await stopAllRedis();
  });

  it('packs the seconds since its epoch and the day sequence into one 63-bit id, and back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: ORDER_ID_EPOCH_MS, max: ORDER_ID_EPOCH_MS + 2 ** 31 * 1000 - 1 }),
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        (now, sequence) => {
          const id = OrderIdService.compose(now, sequence);
          expect(BigInt(id)).toBeLessThan(2n ** 63n);
          expect(OrderIdService.parse(id)).toEqual({
            time: now - ((now - ORDER_ID_EPOCH_MS) % 1000),
            sequence,
          });
        },
      ),
    );
  });

  it('orders ids by time, then by sequence', () => {
    const t = Date.UTC(2026, 10, 22, 12);
    const ids = [
      OrderIdService.compose(t, 5),
      OrderIdService.compose(t, 6),
      OrderIdService.compose(t + 1000, 1),
    ];
    expect(ids.map(BigInt)).toEqual([...ids.map(BigInt)].sort((a, b) => (a < b ? -1 : 1)));
  });

  it('refuses times outside its range and an exhausted day, instead of wrapping around', () => {
    expect(() => OrderIdService.compose(ORDER_ID_EPOCH_MS - 1000, 1)).toThrow(RangeError);
    expect(() => OrderIdService.compose(Date.now(), 2 ** 32)).toThrow(/exhausted/);
    expect(() => OrderIdService.compose(Date.now(), 0)).toThrow(RangeError);
  });

  it('gives 3 instances × 1000 concurrent calls 3000 distinct ids', async () => {
    const generators = Array.from({ length: 3 }, () => {
      const client = new Redis(server.url);
      clients.push(client);
      return new OrderIdService(client, new ShopKeys());
    });
    const ids = (
      await Promise.all(
        generators.map((generator) =>
          Promise.all(Array.from({ length: 1000 }, () => generator.next())),
        ),
      )
    ).flat();
    expect(new Set(ids).size).toBe(3000);
    // The day's sequence lives in Redis for two days, not forever.
    const ttl = await clients[0]!.ttl(`shop:order-seq:${new Date().toISOString().slice(0, 10)}`);
    expect(ttl).toBeGreaterThan(24 * 3600);
  });
});
