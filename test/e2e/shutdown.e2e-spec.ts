import { once } from 'node:events';
import { createServer } from 'node:net';
import { Controller, type INestApplication, Injectable, Param, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DistributedLock, RedisLockModule, RedisLockService } from '../../lib/index.js';
import { forkWorker, nextMessage } from '../support/processes.js';
import { freePort } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';
import { until } from '../support/until.js';
import { CapturingLogger } from './fixtures/capturing-logger.js';
import { Gates } from './fixtures/counter.fixture.js';

@Injectable()
class Reports {
  constructor(
    private readonly locks: RedisLockService,
    private readonly gates: Gates,
  ) {}

  @DistributedLock('report:<0>')
  async build(id: string): Promise<string> {
    await this.gates.wait(id);
    return `built ${id}`;
  }
}

@Controller('reports')
class ReportsController {
  constructor(private readonly reports: Reports) {}

  @Post(':id')
  build(@Param('id') id: string): Promise<string> {
    return this.reports.build(id);
  }
}

async function boot(
  url: string,
  shutdownTimeout: number | undefined,
  port = 0,
): Promise<{ app: INestApplication; url: string; logs: CapturingLogger; gates: Gates }> {
  const logs = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [
      RedisLockModule.forRoot({
        url,
        keyPrefix: 'down:',
        ...(shutdownTimeout !== undefined && { shutdownTimeout }),
      }),
    ],
    controllers: [ReportsController],
    providers: [Reports, Gates],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: logs });
  await app.listen(port, '127.0.0.1');
  return { app, url: await app.getUrl(), logs, gates: app.get(Gates) };
}

/** Whether a server of this process can listen on `port` now (the reloaded app, in watch mode). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('shutdown', () => {
  const db = useRedisServer();

  it('shutdownTimeout bounds the drain: every lock is released when it passes, and the cut calls are named', async () => {
    const { app, url, logs, gates } = await boot(db.server.url, 200);
    const pending = request(url)
      .post('/reports/r1')
      .then((r) => r);
    await gates.reached('r1');
    const closing = app.close();
    // Released at the bound, while the request still runs (Nest waits for it to close the server).
    await until(async () => (await db.redis.exists('down:report:r1')) === 0, 'the lock released');
    expect(logs.ours()).toContainEqual(
      'warn: 1 of 1 locked calls were still running after 200 ms; their locks are released now: Reports.build() holding lock "report:r1".',
    );
    gates.open('r1');
    // It ran without its lock for a while: its client is told, not given the result.
    const response = await pending;
    expect(response.status).toBe(503);
    expect(response.body.message).toMatch(/lost its lock before it finished/);
    await closing;
  });

  it('watch mode: with shutdownTimeout 0 the port is free at once, while the cut request still runs', async () => {
    const port = await freePort();
    // The default drain holds the port: a reload started meanwhile cannot listen (EADDRINUSE).
    const draining = await boot(db.server.url, undefined, port);
    const first = request(draining.url)
      .post('/reports/w1')
      .then((r) => r);
    await draining.gates.reached('w1');
    const drained = draining.app.close();
    expect(await canListen(port)).toBe(false);
    draining.gates.open('w1');
    expect((await first).status).toBe(201);
    await drained;

    // The recipe: no drain in development.
    const reloading = await boot(db.server.url, 0, port);
    const second = request(reloading.url)
      .post('/reports/w2')
      .then((r) => r);
    await reloading.gates.reached('w2');
    const closing = reloading.app.close();
    await until(() => canListen(port), 'the port free for the reloaded app');
    expect(await db.redis.exists('down:report:w2')).toBe(0);
    reloading.gates.open('w2');
    expect((await second).status).toBe(503);
    await closing;
  });

  it.each([
    ['with app.enableShutdownHooks()', 'hooks', 0],
    ['without it (the lock stays until its ttl)', 'no-hooks', 1],
  ])('SIGTERM %s', async (_, hooks, left) => {
    const worker = forkWorker('shutdown-worker.cjs', [db.server.url, hooks, '100']);
    const exited = once(worker, 'exit');
    const { url } = await nextMessage<{ type: string; url: string }>(worker, 'listening');
    const pending = request(url)
      .post('/jobs/j1')
      .then((r) => r)
      .catch((error: unknown) => error);
    await nextMessage(worker, 'running');
    worker.kill('SIGTERM');
    await exited;
    expect(await db.redis.exists('lock:job:j1')).toBe(left);
    if (hooks === 'hooks') {
      // The work stopped on its signal; its client was answered before the process ended.
      expect(await pending).toMatchObject({ status: 503 });
    } else {
      expect(await pending).toMatchObject({ code: 'ECONNRESET' });
      await db.redis.del('lock:job:j1');
    }
  });
});
