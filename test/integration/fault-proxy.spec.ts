import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';
import { until } from '../support/until.js';

// The fault proxy is test equipment: these tests prove each fault does what the chaos tests
// count on, against a real redis-server.
describe('fault proxy', () => {
  let server: RedisServer;
  let proxy: FaultProxy;
  let direct: Redis;
  let clients: Redis[];

  const client = (options: Parameters<RedisServer['client']>[0] = {}): Redis => {
    const redis = server.client({ port: proxy.port, ...options });
    clients.push(redis);
    return redis;
  };

  beforeAll(async () => {
    server = await startRedis();
    direct = server.client();
  });
  beforeEach(async () => {
    await direct.flushall();
    proxy = await startFaultProxy({ targetPort: server.port });
    clients = [];
  });
  afterEach(async () => {
    for (const redis of clients) redis.disconnect();
    await proxy.close();
  });
  afterAll(async () => {
    direct.disconnect();
    await server.stop();
    await stopAllRedis();
  });

  it('passes commands, pipelines, large values and pub/sub through unchanged', async () => {
    const redis = client();
    const big = 'x'.repeat(3 * 1024 * 1024);
    await redis.set('big', big);
    expect(await redis.get('big')).toBe(big);
    const pipeline = redis.pipeline();
    for (let i = 0; i < 500; i++) pipeline.incr('counter');
    const results = await pipeline.exec();
    expect(results!.map(([, value]) => value)).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );

    const subscriber = client();
    const received = new Promise<string>((resolve) =>
      subscriber.on('message', (_channel: string, message: string) => resolve(message)),
    );
    await subscriber.subscribe('news');
    await redis.publish('news', 'hello');
    expect(await received).toBe('hello');
  });

  it('delays replies by at least the latency and keeps their order under jitter', async () => {
    const redis = client();
    await redis.ping();
    proxy.setLatency({ toClient: { ms: 50, jitterMs: 30 } });
    const started = performance.now();
    const pipeline = redis.pipeline();
    for (let i = 0; i < 200; i++) pipeline.incr('ordered');
    const results = await pipeline.exec();
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(results!.map(([, value]) => value)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );

    proxy.setLatency({ toServer: { ms: 60 } });
    const sent = performance.now();
    await redis.ping();
    expect(performance.now() - sent).toBeGreaterThanOrEqual(60);
    proxy.setLatency({});
  });

  it('drops one reply after the command ran, and ioredis resends it on the connection it reopens', async () => {
    const redis = client();
    await redis.ping();
    let reconnects = 0;
    redis.on('reconnecting', () => reconnects++);
    const dropped = proxy.dropReply((command) => command[0]!.toLowerCase() === 'incr');
    // The first INCR ran, its reply was lost with the connection; the resent one ran again.
    expect(await redis.incr('resent')).toBe(2);
    expect(await dropped).toEqual(['incr', 'resent']);
    expect(reconnects).toBe(1);
    expect(proxy.stats.droppedReplies).toBe(1);
    expect(await direct.get('resent')).toBe('2');
  });

  it('delivers the replies sent before the dropped one, and resends only those after it', async () => {
    const redis = client();
    await redis.ping();
    void proxy.dropReply((command) => command[1] === 'second');
    // Written back to back on one connection, without waiting for replies.
    const results = await Promise.all([
      redis.incr('first'),
      redis.incr('second'),
      redis.incr('third'),
    ]);
    // first: answered before the cut; second and third: ran, reply lost, resent, ran again.
    expect(results).toEqual([1, 2, 2]);
    expect(await direct.mget('first', 'second', 'third')).toEqual(['1', '2', '2']);
  });

  it('leaves subscriber connections alone when it drops a reply', async () => {
    const subscriber = client();
    await subscriber.subscribe('quiet');
    const redis = client();
    await redis.ping();
    const dropped = proxy.dropReply();
    await redis.set('any', '1');
    expect(await dropped).toEqual(['set', 'any', '1']);
    const received = new Promise<string>((resolve) =>
      subscriber.once('message', (_channel: string, message: string) => resolve(message)),
    );
    await redis.publish('quiet', 'still here');
    expect(await received).toBe('still here');
  });

  it('resets every connection; clients reconnect and go on', async () => {
    const a = client();
    const b = client();
    await Promise.all([a.ping(), b.ping()]);
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    expect(proxy.resetConnections()).toBe(2);
    await closed;
    expect(await a.incr('after-reset')).toBe(1);
    expect(await b.incr('after-reset')).toBe(2);
    expect(proxy.stats.resets).toBe(2);
  });

  it('black-holes both directions until healed: commands reach Redis only then', async () => {
    const redis = client();
    await redis.ping();
    proxy.blackhole();
    let answered = false;
    const pending = redis.set('held-back', '1').then(() => (answered = true));
    await sleep(200);
    expect(answered).toBe(false);
    expect(await direct.exists('held-back')).toBe(0);
    proxy.heal();
    await pending;
    expect(await direct.get('held-back')).toBe('1');
    expect(proxy.stats.blackholes).toBe(1);
  });

  it('heals a black hole with reset: what was held is lost with the connections', async () => {
    const redis = client({ maxRetriesPerRequest: 0 });
    await redis.ping();
    proxy.blackhole();
    const pending = redis.set('never', '1').catch((error: unknown) => error);
    await sleep(50);
    proxy.heal({ reset: true });
    expect(await pending).toBeInstanceOf(Error);
    expect(await direct.exists('never')).toBe(0);
    expect(await redis.ping()).toBe('PONG');
  });

  it('cuts its client connections when Redis goes away, and serves again after a restart', async () => {
    const redis = client();
    await redis.set('before', '1');
    await server.restart();
    await until(async () => (await redis.ping().catch(() => 'down')) === 'PONG', 'a reconnect', {
      everyMs: 20,
    });
    // The restarted server forgot everything: no persistence.
    expect(await redis.exists('before')).toBe(0);
    direct.disconnect();
    direct = server.client();
  });
});
