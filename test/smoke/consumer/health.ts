// Copied only into consumers that install the optional peers: the health entry point over
// @nestjs/terminus, as an app's health check would use it, with the lock module on a client the
// app made itself (the `client` option). Prints one JSON line.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { RedisLockModule } from 'nestjs-redis-lock';
import { RedisLockHealthIndicator } from 'nestjs-redis-lock/health';
import { connectOwnClient } from './client.js';

async function main(): Promise<void> {
  const own = await connectOwnClient(process.env.REDIS_URL!);

  @Module({
    imports: [TerminusModule, RedisLockModule.forRoot({ client: own.client })],
    providers: [RedisLockHealthIndicator],
  })
  class HealthModule {}

  const app = await NestFactory.createApplicationContext(HealthModule, { logger: ['error'] });
  const indicator = app.get(RedisLockHealthIndicator);
  const report = await app
    .get(HealthCheckService)
    .check([() => indicator.isHealthy('locks', { timeout: 2_000 })]);
  await app.close();
  await own.close();
  process.stdout.write(`${JSON.stringify({ status: report.status })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exitCode = 1;
});
