// A tiny consumer application, built against the PACKED library in a directory of its own:
// once as CommonJS on NestJS 11 (ioredis 5), once as ES modules on NestJS 12 (ioredis 6).
// It prints one JSON line with what it observed and exits 0 only if everything held.
import 'reflect-metadata';
import { Controller, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import {
  DistributedLock,
  InjectRedisLockClient,
  RedisLockModule,
  RedisLockService,
} from 'nestjs-redis-lock';
import { LockManager } from 'nestjs-redis-lock/core';

const url = process.env.REDIS_URL!;
// Each consumer counts on its own key: they share one Redis.
const counter = process.env.COUNTER ?? 'a';

@Controller('counter')
class CounterController {
  constructor(
    @InjectRedisLockClient() private readonly redis: Redis,
    private readonly locks: RedisLockService,
  ) {}

  @Post(':name')
  @DistributedLock('counter:<name>', { waitTimeout: 10_000 })
  async increment(@Param('name') name: string): Promise<{ value: number; fencing: number }> {
    const value = Number((await this.redis.get(`smoke:${name}`)) ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 2));
    await this.redis.set(`smoke:${name}`, value + 1);
    return { value: value + 1, fencing: this.locks.current()!.fencingToken };
  }

  @Post(':name/now')
  @DistributedLock('counter:<name>', { waitTimeout: 0 })
  async now(@Param('name') name: string): Promise<{ name: string }> {
    return { name };
  }
}

@Module({
  imports: [RedisLockModule.forRoot({ url })],
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

  // The engine entry, on its own connection, holds the lock the route needs: 409.
  const redis = new Redis(url);
  const manager = new LockManager(redis);
  const held = await manager.acquire(`counter:${counter}-b`);
  const conflict = (await fetch(`${base}/counter/${counter}-b/now`, { method: 'POST' })).status;
  await held.release();
  const free = (await fetch(`${base}/counter/${counter}-b/now`, { method: 'POST' })).status;
  await manager.close();
  redis.disconnect();
  await app.close();

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
