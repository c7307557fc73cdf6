import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  InvalidLockOptionsError,
  RedisLockModule,
  type RedisLockModuleOptions,
} from '../../lib/index.js';
import { RedisLockHealthIndicator } from '../../lib/health/index.js';
import { createApp } from './fixtures/create-app.js';
import { startRedis, stopAllRedis } from '../support/redis-server.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly locks: RedisLockHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.locks.isHealthy('locks', { timeout: 300 })]);
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [RedisLockHealthIndicator],
})
class HealthModule {}

interface HealthReply {
  readonly status: number;
  readonly body: {
    status: 'ok' | 'error';
    details: { locks: Record<string, unknown> & { status: 'up' | 'down'; message?: string } };
  };
}

describe('RedisLockHealthIndicator behind a real /health endpoint (Terminus)', () => {
  let app: INestApplication | undefined;
  let url: string;

  async function boot(options: RedisLockModuleOptions): Promise<void> {
    const running = await createApp({
      module: HealthModule,
      // The outages below are on purpose: keep the connection log out of the output.
      imports: [RedisLockModule.forRoot({ logging: { connection: false }, ...options })],
    });
    app = running.app;
    url = running.url;
  }

  async function health(): Promise<HealthReply> {
    const reply = await request(url).get('/health');
    return { status: reply.status, body: reply.body as HealthReply['body'] };
  }

  /** Polls /health until it answers `status` (the client notices a dead server quickly). */
  async function healthUntil(status: number): Promise<HealthReply> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const reply = await health();
      if (reply.status === status || Date.now() > deadline) return reply;
      await sleep(50);
    }
  }

  afterEach(async () => {
    // The app first: its connections then close on live servers (or are already down).
    await app?.close();
    app = undefined;
    await stopAllRedis();
  });

  it('a single Redis: up with its round trip; down with a useful message when it dies; up again', async () => {
    const server = await startRedis();
    await boot({ url: server.url });

    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('ok');
    expect(up.body.details.locks).toEqual({
      status: 'up',
      topology: 'standalone',
      nodes: [
        {
          node: `127.0.0.1:${server.port}`,
          up: true,
          roundTripMs: expect.any(Number),
          scripts: true,
        },
      ],
    });

    await server.kill();
    const down = await healthUntil(503);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('error');
    expect(down.body.details.locks).toMatchObject({
      status: 'down',
      topology: 'standalone',
      message: `Redis 127.0.0.1:${server.port}: not connected (ioredis connection status "reconnecting").`,
      nodes: [{ node: `127.0.0.1:${server.port}`, up: false, roundTripMs: null, scripts: false }],
    });

    await server.restart();
    expect((await healthUntil(200)).status).toBe(200);
  });

  it('a frozen Redis is down after the probe timeout, not after the poller’s', async () => {
    const server = await startRedis();
    await boot({ url: server.url });
    server.pause();
    try {
      const started = Date.now();
      const down = await health();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(down.status).toBe(503);
      expect(down.body.details.locks.message).toBe(
        `Redis 127.0.0.1:${server.port}: no answer to PING within 300 ms.`,
      );
    } finally {
      server.resume();
    }
  });

  it('a quorum of 3: up while a majority answers, down (and why) when it does not', async () => {
    const masters = await Promise.all(Array.from({ length: 3 }, () => startRedis()));
    await boot({ url: masters.map((m) => m.url), nodeTimeout: 100 });

    const all = await health();
    expect(all.status).toBe(200);
    expect(all.body.details.locks).toMatchObject({
      status: 'up',
      topology: 'quorum',
      quorum: { masters: 3, needed: 2, answering: 3, possible: true },
    });

    await masters[0]!.kill();
    const degraded = await healthUntil(200);
    expect(degraded.body.details.locks).toMatchObject({
      status: 'up',
      quorum: { masters: 3, needed: 2, answering: expect.any(Number), possible: true },
    });

    await masters[1]!.kill();
    const down = await healthUntil(503);
    expect(down.status).toBe(503);
    expect(down.body.details.locks).toMatchObject({
      status: 'down',
      topology: 'quorum',
      quorum: { masters: 3, needed: 2, answering: 1, possible: false },
    });
    expect(down.body.details.locks.message).toMatch(
      new RegExp(
        `^1 of 3 Redis masters can take locks; a quorum needs 2\\. 127\\.0\\.0\\.1:${masters[0]!.port}: not connected .*; 127\\.0\\.0\\.1:${masters[1]!.port}: not connected .*\\.$`,
      ),
    );

    // Back once the masters are: the clients reconnect by themselves.
    await Promise.all([masters[0]!.restart(), masters[1]!.restart()]);
    const deadline = Date.now() + 10_000;
    let back = await health();
    while ((back.body.details.locks.quorum as { answering: number }).answering < 3) {
      if (Date.now() > deadline) break;
      await sleep(50);
      back = await health();
    }
    expect(back.status).toBe(200);
    expect(back.body.details.locks).toMatchObject({ quorum: { answering: 3, possible: true } });
  });

  it('refuses a bad key or option before probing', async () => {
    const server = await startRedis();
    await boot({ url: server.url });
    const indicator = app!.get(RedisLockHealthIndicator);
    await expect(indicator.isHealthy('')).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await expect(indicator.isHealthy('locks', { timeout: -1 })).rejects.toBeInstanceOf(
      InvalidLockOptionsError,
    );
    await expect(indicator.isHealthy()).resolves.toMatchObject({ 'redis-lock': { status: 'up' } });
  });
});
