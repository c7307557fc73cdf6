// A tiny consumer application, built against the PACKED library in a directory of its own, as
// CommonJS and as ES modules, on NestJS 11 and 12, with the Redis client library of the consumer
// (./client.ts: ioredis, node-redis or iovalkey, the others not installed).
// It prints one JSON line with what it observed and exits 0 only if everything held.
import 'reflect-metadata';
import { Controller, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  DistributedLock,
  InjectRedisLockClient,
  RedisLockModule,
  RedisLockService,
} from 'nestjs-redis-lock';
import { LockManager } from 'nestjs-redis-lock/core';
import { connectOwnClient, lockModuleConnection } from './client.js';

const url = process.env.REDIS_URL!;
// Each consumer counts on its own key: they share one Redis.
const counter = process.env.COUNTER ?? 'a';
const connection = lockModuleConnection(url);

/** What the route asks of the module's client: ioredis, node-redis and iovalkey all have it. */
interface KeyValueClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
}

@Controller('counter')
class CounterController {
  constructor(
    @InjectRedisLockClient() private readonly redis: KeyValueClient,
    private readonly locks: RedisLockService,
  ) {}

  @Post(':name')
  @DistributedLock('counter:<name>', { waitTimeout: 10_000 })
  async increment(@Param('name') name: string): Promise<{ value: number; fencing: number }> {
    const value = Number((await this.redis.get(`smoke:${name}`)) ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 2));
    await this.redis.set(`smoke:${name}`, String(value + 1));
    return { value: value + 1, fencing: this.locks.current()!.fencingToken };
  }

  @Post(':name/now')
  @DistributedLock('counter:<name>', { waitTimeout: 0 })
  async now(@Param('name') name: string): Promise<{ name: string }> {
    return { name };
  }
}

@Module({
  imports: [RedisLockModule.forRoot(connection.options)],
  controllers: [CounterController],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();

  const replies = await Promise.all(
    Array.from({ length: 20 }, () =>
      fetch(`${base}/counter/${counter}`, { method: 'POST' }).then(
        (r) => r.json() as Promise<{ value: number }>,
      ),
    ),
  );
  const values = replies.map((r) => r.value).sort((x, y) => x - y);

  // The engine entry, on a client the app made itself, holds the lock the route needs: 409.
  const own = await connectOwnClient(url);
  const manager = new LockManager(own.client);
  const held = await manager.acquire(`counter:${counter}-b`);
  const conflict = (await fetch(`${base}/counter/${counter}-b/now`, { method: 'POST' })).status;
  await held.release();
  const free = (await fetch(`${base}/counter/${counter}-b/now`, { method: 'POST' })).status;
  await manager.close();
  await own.close();
  await app.close();
  await connection.close();

  const ok =
    values.join(',') === Array.from({ length: 20 }, (_, i) => i + 1).join(',') &&
    conflict === 409 &&
    free === 201;
  process.stdout.write(`${JSON.stringify({ ok, values, conflict, free })}\n`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exitCode = 1;
});
