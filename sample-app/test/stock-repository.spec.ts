import { Redis } from 'ioredis';
import { startRedis, stopAllRedis, type RedisServer } from '../../test/support/redis-server';
import { ShopKeys } from '../src/shop-keys';
import { InvalidStockInputError } from '../src/stock/errors/invalid-stock-input.error';
import { StaleFencingTokenError } from '../src/stock/errors/stale-fencing-token.error';
import { UnknownProductError } from '../src/stock/errors/unknown-product.error';
import { PostgresStockRepository } from '../src/stock/postgres-stock.repository';
import { RedisStockRepository } from '../src/stock/redis-stock.repository';
import type { StockRepository } from '../src/stock/stock-repository.interface';
import {
  TEST_DATABASE_URL,
  assertPostgres,
  dropTestSchema,
  schemaExists,
  testSchema,
} from './postgres';

interface Backend {
  readonly name: string;
  open(): Promise<StockRepository>;
  /** A repository that fails on any I/O: bad input must be refused before it gets there. */
  offline(): Promise<StockRepository>;
  close(): Promise<void>;
}

function redisBackend(): Backend {
  let server: RedisServer;
  let offlineClient: Redis | undefined;
  return {
    name: 'Redis (Lua script)',
    async open() {
      server = await startRedis();
      return new RedisStockRepository(server.client(), new ShopKeys('test:'));
    },
    async offline() {
      offlineClient = new Redis({
        port: 1,
        lazyConnect: true,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
      offlineClient.on('error', () => undefined);
      return new RedisStockRepository(offlineClient, new ShopKeys('test:'));
    },
    async close() {
      offlineClient?.disconnect();
      await stopAllRedis();
    },
  };
}

function postgresBackend(): Backend {
  const schema = testSchema('stock');
  const opened: StockRepository[] = [];
  return {
    name: 'PostgreSQL (UPDATE ... WHERE last_fence < $token)',
    async open() {
      await assertPostgres();
      const repository = await PostgresStockRepository.open(
        { connectionString: TEST_DATABASE_URL },
        schema,
      );
      opened.push(repository);
      return repository;
    },
    async offline() {
      // A repository whose pool is closed: any query would fail with "Cannot use a pool after
      // calling end on the pool", not with the typed error.
      const repository = await PostgresStockRepository.open(
        { connectionString: TEST_DATABASE_URL },
        schema,
      );
      opened.push(repository);
      await repository.close();
      return repository;
    },
    async close() {
      for (const repository of opened) await repository.close().catch(() => undefined);
      await dropTestSchema(schema);
      expect(await schemaExists(schema)).toBe(false);
    },
  };
}

/** Order ids that say which token wrote them, so the order of accepted writes can be read back. */
const orderOf = (token: number): string => `order-${token}`;
const tokenOf = (orderId: string): number => Number(orderId.slice('order-'.length));

describe.each([redisBackend(), postgresBackend()])('the fenced stock on $name', (backend) => {
  let stock: StockRepository;

  beforeAll(async () => {
    stock = await backend.open();
  });
  afterAll(() => backend.close());

  it('accepts a sale whose fencing token is larger than the last, and records all of it at once', async () => {
    await stock.reset('p-accept', 10);
    await stock.writeSale('p-accept', { stockAfter: 9, orderId: 'a-1' }, 1_000);
    await stock.writeSale('p-accept', { stockAfter: 8, orderId: 'a-2' }, 1_001);
    expect(await stock.state('p-accept')).toEqual({
      stock: 8,
      lastFencingToken: 1_001,
      orders: ['a-1', 'a-2'],
    });
    expect(await stock.stock('p-accept')).toBe(8);
  });

  it('refuses a token equal to or older than the last accepted, and writes nothing', async () => {
    await stock.reset('p-stale', 10);
    await stock.writeSale('p-stale', { stockAfter: 7, orderId: 'new' }, 5_000);
    for (const token of [5_000, 4_999, 1]) {
      const error = await stock
        .writeSale('p-stale', { stockAfter: 9, orderId: `old-${token}` }, token)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StaleFencingTokenError);
      expect(error).toMatchObject({
        productId: 'p-stale',
        fencingToken: token,
        lastFencingToken: 5_000,
      });
      expect((error as Error).message).toMatch(/lost its lock.*Take the lock again/);
    }
    expect(await stock.state('p-stale')).toEqual({
      stock: 7,
      lastFencingToken: 5_000,
      orders: ['new'],
    });
  });

  it('lets, of writers racing with shuffled tokens, only ever larger tokens through', async () => {
    await stock.reset('p-race', 1_000);
    const base = 1_796_000_000_000_000; // tokens are about the server time in microseconds
    const tokens = Array.from({ length: 40 }, (_, i) => base + i * 7);
    for (let i = tokens.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
    }
    const results = await Promise.allSettled(
      tokens.map((token) =>
        stock.writeSale('p-race', { stockAfter: 500, orderId: orderOf(token) }, token),
      ),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.every((r) => r.reason instanceof StaleFencingTokenError)).toBe(true);
    const state = await stock.state('p-race');
    const accepted = state.orders.map(tokenOf);
    expect(accepted.length + refused.length).toBe(tokens.length);
    // In the order the store took them, every accepted token is larger than the one before.
    expect(accepted).toEqual([...accepted].sort((a, b) => a - b));
    expect(new Set(accepted).size).toBe(accepted.length);
    // The largest token can never be refused.
    expect(accepted.at(-1)).toBe(Math.max(...tokens));
    expect(state.lastFencingToken).toBe(Math.max(...tokens));
  });

  it('keeps the last accepted token across a reset, so an old holder stays refused', async () => {
    await stock.reset('p-reset', 5);
    await stock.writeSale('p-reset', { stockAfter: 4, orderId: 'r-1' }, 900);
    await stock.reset('p-reset', 5);
    await expect(
      stock.writeSale('p-reset', { stockAfter: 4, orderId: 'r-2' }, 899),
    ).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect(await stock.state('p-reset')).toEqual({ stock: 5, lastFencingToken: 900, orders: [] });
  });

  it('writes unfenced whatever the token history: the write the demo shows going wrong', async () => {
    await stock.reset('p-unfenced', 10);
    await stock.writeSale('p-unfenced', { stockAfter: 3, orderId: 'u-1' }, 10_000);
    await stock.writeSaleUnfenced('p-unfenced', { stockAfter: 9, orderId: 'u-stale' });
    expect(await stock.state('p-unfenced')).toEqual({
      stock: 9,
      lastFencingToken: 10_000,
      orders: ['u-1', 'u-stale'],
    });
  });

  it('says a product was never stocked instead of creating it', async () => {
    expect(await stock.stock('p-none')).toBe(0);
    await expect(
      stock.writeSale('p-none', { stockAfter: 1, orderId: 'n-1' }, 1),
    ).rejects.toBeInstanceOf(UnknownProductError);
    await expect(
      stock.writeSaleUnfenced('p-none', { stockAfter: 1, orderId: 'n-2' }),
    ).rejects.toThrow(/There is no stock for product "p-none": set it first/);
    expect(await stock.state('p-none')).toEqual({ stock: 0, lastFencingToken: 0, orders: [] });
  });

  it('refuses arguments it cannot use with a typed error, before any I/O', async () => {
    const offline = await backend.offline();
    const sale = { stockAfter: 1, orderId: 'x' };
    const refusals: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => offline.writeSale('p', sale, 0), 'fencingToken', /positive safe integer/],
      [() => offline.writeSale('p', sale, -5), 'fencingToken', /positive safe integer/],
      [() => offline.writeSale('p', sale, 1.5), 'fencingToken', /positive safe integer/],
      [() => offline.writeSale('p', sale, 2 ** 53), 'fencingToken', /positive safe integer/],
      [() => offline.writeSale('p', sale, '7' as never), 'fencingToken', /got "7"/],
      [
        () => offline.writeSale('p', { ...sale, stockAfter: -1 }, 1),
        'sale.stockAfter',
        /whole number/,
      ],
      [() => offline.writeSale('p', { ...sale, orderId: '' }, 1), 'sale.orderId', /non-empty/],
      [() => offline.writeSaleUnfenced('', sale), 'productId', /non-empty string/],
      [() => offline.reset('p', 2.5), 'stock', /whole number from 0/],
      [() => offline.reset('p', Number.NaN), 'stock', /got NaN/],
    ];
    for (const [call, field, message] of refusals) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidStockInputError);
      expect(error).toMatchObject({ field });
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('opening the PostgreSQL stock', () => {
  it('refuses a schema name it would have to quote, before connecting', async () => {
    for (const schema of ['Shop', 'shop; drop table x', '1shop', '', 'a'.repeat(64)]) {
      await expect(
        // Port 1: connecting would fail differently.
        PostgresStockRepository.open({ connectionString: 'postgres://127.0.0.1:1/none' }, schema),
      ).rejects.toThrow(InvalidStockInputError);
    }
  });

  it('creates its tables once when several instances start at the same time', async () => {
    await assertPostgres();
    const schema = testSchema('race');
    try {
      const repositories = await Promise.all(
        Array.from({ length: 4 }, () =>
          PostgresStockRepository.open({ connectionString: TEST_DATABASE_URL }, schema),
        ),
      );
      await repositories[0]!.reset('p', 3);
      expect(await repositories[3]!.stock('p')).toBe(3);
      await Promise.all(repositories.map((r) => r.close()));
    } finally {
      await dropTestSchema(schema);
    }
  });
});
