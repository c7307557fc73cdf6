import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { readConfig, type SampleConfig } from './config';
import { SampleConfigError } from './sample-config.error';

/**
 * Answers whether Redis is there before Nest starts, so a missing Redis is one clear line and
 * exit code 1, not a wall of reconnect errors.
 */
async function redisAnswers(url: string): Promise<string | undefined> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The connect error (ECONNREFUSED, ENOTFOUND...) arrives as an event; the rejection only
  // says the connection closed.
  let cause: string | undefined;
  probe.on('error', (error: Error) => (cause ??= error.message));
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return cause ?? (error instanceof Error ? error.message : String(error));
  } finally {
    probe.disconnect();
  }
}

async function bootstrap(): Promise<void> {
  let config: SampleConfig;
  try {
    config = readConfig();
  } catch (error) {
    if (!(error instanceof SampleConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  const problem = await redisAnswers(config.redisUrl);
  if (problem !== undefined) {
    process.stderr.write(
      `No Redis answers at ${config.redisUrl} (${problem}). Start one with \`redis-server\` (or \`docker run -p 6379:6379 redis:7\`), or set REDIS_URL.\n`,
    );
    process.exitCode = 1;
    return;
  }
  // Loaded once the settings are known to be good: the cron job reads them as it is defined.
  const { AppModule } = await import('./app.module.js');
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(config.port, '127.0.0.1');
  const url = await app.getUrl();
  new Logger('FlashSale').warn(`listening on ${url} (pid ${process.pid})`);
  // The demo reads this line to find the port of each instance.
  process.stdout.write(`READY ${url}\n`);
}

bootstrap().catch((error: unknown) => {
  // PostgreSQL unreachable, a port taken...: one line, not a stack trace.
  process.stderr.write(
    `The flash-sale app could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  // Connections opened before the failure would keep the process alive.
  process.exit(1);
});
