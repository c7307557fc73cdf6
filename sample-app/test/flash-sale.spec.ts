import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, stopAllRedis, type RedisServer } from '../../test/support/redis-server';
import { CatalogService } from '../src/catalog/catalog.service';
import { OrderIdService } from '../src/orders/order-id.service';
import { ensureSampleAppBuilt } from './built-app';
import { post, put, startShop, stopShop, type ShopInstance } from './instances';

describe('the flash-sale sample app, 3 instances on one Redis', () => {
  let server: RedisServer;
  let shop: ShopInstance[];
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = server.client();
    shop = await startShop(server.url, 3);
  });
  afterAll(async () => {
    await stopShop(shop);
    redis.disconnect();
    await stopAllRedis();
  });

  async function sell(productId: string, stock: number, buyers: number, lock: 'on' | 'off') {
    expect(await put(`${shop[0]!.url}/products/${productId}/stock`, { stock })).toBe(204);
    const path = `/products/${productId}/orders${lock === 'off' ? '?lock=off' : ''}`;
    const replies = await Promise.all(
      Array.from({ length: buyers }, (_, i) => post(`${shop[i % shop.length]!.url}${path}`)),
    );
    const sold = replies.filter((r) => r.body?.sold === true).length;
    const left = Number(await redis.hget(`shop:stock:{${productId}}`, 'stock'));
    const orders = await redis.lrange(`shop:orders:{${productId}}`, 0, -1);
    return { replies, sold, left, orders };
  }

  it('sells exactly the stock with the lock: none oversold, every order id unique', async () => {
    const { replies, sold, left, orders } = await sell('p-locked', 20, 200, 'on');
    expect(replies.every((r) => r.status === 201)).toBe(true);
    expect(sold).toBe(20);
    expect(left).toBe(0);
    expect(orders).toHaveLength(20);
    expect(new Set(orders).size).toBe(20);
    // The fencing tokens of the sales grow with each sale, across the instances.
    const tokens = replies.filter((r) => r.body.sold).map((r) => r.body.fencingToken as number);
    expect(new Set(tokens).size).toBe(20);
  });

  it('oversells without the lock (the control experiment)', async () => {
    // Force the race instead of hoping for it: every buyer reads the stock before any of them
    // writes. A sale asks for its order id between its read and its write; hold each one there
    // until all the buyers have read.
    const stock = 2;
    const buyers = 6;
    let arrived = 0;
    let openBarrier: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => (openBarrier = resolve));
    const spies = shop.map(({ app }) => {
      const orderIds = app.get(OrderIdService);
      const next = orderIds.next.bind(orderIds);
      return jest.spyOn(orderIds, 'next').mockImplementation(async (...args) => {
        if (++arrived === buyers) openBarrier();
        await barrier;
        return next(...args);
      });
    });
    try {
      const { replies, sold, left, orders } = await sell('p-unlocked', stock, buyers, 'off');
      expect(replies.map((r) => r.status)).toEqual(Array(buyers).fill(201));
      // Each buyer saw the same stock and wrote it back minus one: all sold, one item gone.
      expect(sold).toBe(buyers);
      expect(orders).toHaveLength(buyers);
      expect(left).toBe(stock - 1);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('refuses purchase and stock parameters it cannot use, with a 400 that says why', async () => {
    expect(await put(`${shop[0]!.url}/products/p-bad/stock`, { stock: 10 })).toBe(204);
    const maybe = await post(`${shop[0]!.url}/products/p-bad/orders?fencing=maybe`);
    expect(maybe.status).toBe(400);
    expect(maybe.body.message).toBe('?fencing= takes on or off, not "maybe".');
    const unlockedFence = await post(`${shop[1]!.url}/products/p-bad/orders?lock=off&fencing=on`);
    expect(unlockedFence.status).toBe(400);
    expect(unlockedFence.body.message).toMatch(/needs the lock/);
    const response = await fetch(`${shop[2]!.url}/products/p-bad/stock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stock: -3 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe(
      'stock must be a whole number from 0 to 2147483647; got -3.',
    );
    expect(Number(await redis.hget('shop:stock:{p-bad}', 'stock'))).toBe(10);
  });

  it('rebuilds a missing cache entry once, however many requests miss it on every instance', async () => {
    await redis.del('shop:catalog:p-cache', 'shop:catalog-rebuilds:p-cache');
    const views = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`${shop[i % shop.length]!.url}/products/p-cache`).then(
          (r) => r.json() as Promise<{ builtAt: string }>,
        ),
      ),
    );
    expect(await redis.get('shop:catalog-rebuilds:p-cache')).toBe('1');
    expect(new Set(views.map((v) => v.builtAt)).size).toBe(1);
    expect(CatalogService.rebuildMs).toBeGreaterThan(0);
  });

  it('moves money both ways between two accounts across instances, conserving the total', async () => {
    await put(`${shop[0]!.url}/accounts/alice`, { balance: 1_000 });
    await put(`${shop[1]!.url}/accounts/bob`, { balance: 1_000 });
    const transfers = Array.from({ length: 120 }, (_, i) =>
      post(`${shop[i % shop.length]!.url}/accounts/transfers`, {
        from: i % 2 ? 'alice' : 'bob',
        to: i % 2 ? 'bob' : 'alice',
        amount: i % 2 ? 3 : 2,
      }),
    );
    const replies = await Promise.all(transfers);
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const [alice, bob] = await redis.mget('shop:balance:alice', 'shop:balance:bob');
    // 60 transfers of 3 from alice, 60 of 2 from bob.
    expect([Number(alice), Number(bob)]).toEqual([1_000 - 180 + 120, 1_000 + 180 - 120]);
  });

  it('runs the every-second settlement job once per tick across the 3 instances', async () => {
    const from = Math.floor(Date.now() / 1000) + 1;
    await sleep(3_600);
    const runs = await redis.hgetall('shop:settlements');
    const counts = [from, from + 1, from + 2].map((tick) => Number(runs[String(tick)] ?? 0));
    expect(counts).toEqual([1, 1, 1]);
  });
});

describe('starting the sample app when it cannot work', () => {
  beforeAll(() => ensureSampleAppBuilt());

  function start(
    env: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const main = join(__dirname, '..', 'dist', 'src', 'main.js');
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [main], {
        env: { ...process.env, ...env },
        timeout: 20_000,
      });
      let out = '';
      let err = '';
      child.stdout!.on('data', (c) => (out += c));
      child.stderr!.on('data', (c) => (err += c));
      child.once('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    });
  }

  it('says in one line that a setting cannot work, and what it takes, and exits 1', async () => {
    const { code, stdout, stderr } = await start({
      LOCK_TTL_MS: '10s',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'LOCK_TTL_MS="10s" cannot work: set it to a whole number of milliseconds, at least 100 (unset, it is 10000).\n',
    );
  });

  it('says so in one line when Redis is not there, with the URL it tried and how to start one, and exits 1', async () => {
    const { code, stdout, stderr } = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /No Redis answers at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)\. Start one with `redis-server`/,
    );
  });
});
