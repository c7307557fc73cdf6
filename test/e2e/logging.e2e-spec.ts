import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DistributedLock,
  InvalidLockOptionsError,
  LockLostError,
  LockManager,
  RedisLockModule,
  type RedisLockModuleOptions,
  RedisLockService,
} from '../../lib/index.js';
import { resolveRedisLockModuleOptions } from '../../lib/options/resolve-module-options.js';
import { startRedis } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';
import { CapturingLogger } from './fixtures/capturing-logger.js';

@Injectable()
class Worker {
  @DistributedLock('job:<0>')
  async run(name: string, ms: number): Promise<string> {
    await sleep(ms);
    return name;
  }
}

async function boot(
  options: RedisLockModuleOptions,
): Promise<{ app: INestApplication; logs: CapturingLogger }> {
  const logs = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [RedisLockModule.forRoot(options)],
    providers: [Worker],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: logs });
  await app.init();
  return { app, logs };
}

describe('logging through Nest’s Logger (context RedisLock)', () => {
  const db = useRedisServer();
  let rival: LockManager;
  let app: INestApplication | undefined;

  beforeAll(() => {
    rival = db.manager();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /** Takes a lock through the service and makes the module lose it. */
  async function loseOne(locks: RedisLockService, key: string): Promise<number> {
    const lock = await locks.acquire(key);
    await rival.forceRelease(key);
    await expect(lock.extend()).rejects.toBeInstanceOf(LockLostError);
    return lock.fencingToken;
  }

  it('quiet by default: nothing per lock, a lost lock as one warning', async () => {
    const booted = await boot({ url: db.server.url });
    app = booted.app;
    await app.get(Worker).run('quiet', 5);
    expect(await app.get(RedisLockService).tryAcquire('free')).not.toBeNull();
    expect(booted.logs.ours()).toEqual([]);

    const fencingToken = await loseOne(app.get(RedisLockService), 'report:1');
    expect(booted.logs.ours()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warn: Lock "report:1" \\(fencing token ${fencingToken}\\) lost after \\d+ ms \\(expired\\): `,
        ),
      ),
    ]);
  });

  it('verbose: the life of every lock at debug, gave-up acquires at log', async () => {
    const booted = await boot({ url: db.server.url, logging: 'verbose' });
    app = booted.app;
    const locks = app.get(RedisLockService);
    await app.get(Worker).run('verbose', 5);
    const held = await rival.acquire('busy');
    expect(await locks.tryAcquire('busy')).toBeNull();
    await held.release();
    expect(booted.logs.ours()).toEqual([
      expect.stringMatching(
        /^debug: Acquired lock "job:verbose" \(fencing token \d+, token [0-9a-f]{8}\) in \d+ ms, 1 attempt\.$/,
      ),
      expect.stringMatching(
        /^debug: Released lock "job:verbose" \(fencing token \d+\) after \d+ ms\.$/,
      ),
      expect.stringMatching(/^log: Gave up on lock "busy" after \d+ ms: held by someone else\.$/),
    ]);
  });

  it('silent: not even a lost lock', async () => {
    const booted = await boot({ url: db.server.url, logging: 'silent' });
    app = booted.app;
    await loseOne(app.get(RedisLockService), 'report:2');
    expect(booted.logs.ours()).toEqual([]);
  });

  it('a level per event, over quiet', async () => {
    const booted = await boot({
      url: db.server.url,
      logging: { lost: 'error', acquired: 'log', waitStarted: 'verbose', waitEnded: 'verbose' },
    });
    app = booted.app;
    const locks = app.get(RedisLockService);
    const held = await rival.acquire('job:wait');
    setTimeout(() => void held.release(), 50);
    await app.get(Worker).run('wait', 1);
    await loseOne(locks, 'report:3');
    expect(booted.logs.ours()).toEqual([
      'verbose: Waiting for lock "job:wait", held by someone else.',
      expect.stringMatching(/^log: Acquired lock "job:wait" .* \d+ attempts\.$/),
      expect.stringMatching(/^verbose: Waited \d+ ms for lock "job:wait": acquired\.$/),
      expect.stringMatching(/^log: Acquired lock "report:3"/),
      expect.stringMatching(/^error: Lock "report:3" .* lost after/),
    ]);
  });

  it('shutdown timeouts, Redis failures and the connection going down and back', async () => {
    const own = await startRedis();
    const booted = await boot({
      url: own.url,
      shutdownTimeout: 50,
      redis: { maxRetriesPerRequest: 0, retryStrategy: () => 50 },
    });
    app = booted.app;
    const locks = app.get(RedisLockService);

    await own.kill();
    await sleep(100);
    await expect(locks.tryAcquire('down')).rejects.toThrow(/Redis failed to acquire/);
    await own.restart();
    const deadline = Date.now() + 5_000;
    while (!booted.logs.ours().some((l) => l.includes('restored')) && Date.now() < deadline) {
      await sleep(20);
    }

    const running = app.get(Worker).run('slow', 400);
    await sleep(50);
    await app.close();
    app = undefined;
    await expect(running).rejects.toBeInstanceOf(LockLostError);
    expect(booted.logs.ours()).toEqual([
      expect.stringMatching(
        /^error: Redis connection failed \(.+\); ioredis keeps reconnecting\.$/,
      ),
      expect.stringMatching(/^error: Redis failed to acquire lock "down": .+\(after \d+ ms\)$/),
      'log: Redis connection restored.',
      'warn: 1 of 1 locked calls were still running after 50 ms; their locks are released now: Worker.run() holding lock "job:slow".',
      // Which lock that was, and that its holder was told.
      expect.stringMatching(
        /^warn: Lock "job:slow" \(fencing token \d+\) lost after \d+ ms \(closed\): /,
      ),
    ]);
    await own.stop();
  });
});

describe('the logging option at bootstrap', () => {
  const resolve = (logging: unknown): unknown =>
    resolveRedisLockModuleOptions({ url: 'redis://localhost:6379', logging });

  it('accepts the presets and per-event levels', () => {
    expect(resolve(undefined)).toMatchObject({ logging: { lost: 'warn', acquired: false } });
    expect(resolve('verbose')).toMatchObject({ logging: { acquired: 'debug', lost: 'warn' } });
    expect(resolve('silent')).toMatchObject({ logging: { lost: false, connection: false } });
    expect(resolve({ lost: 'fatal', connection: false })).toMatchObject({
      logging: { lost: 'fatal', connection: false, backendError: 'error' },
    });
  });

  it('refuses anything else with a message that says what is accepted', () => {
    const refusal = (logging: unknown): InvalidLockOptionsError => {
      try {
        resolve(logging);
      } catch (error) {
        return error as InvalidLockOptionsError;
      }
      throw new Error(`accepted ${JSON.stringify(logging)}`);
    };
    expect(refusal('loud')).toMatchObject({ option: 'logging' });
    expect(refusal('loud').message).toContain("'quiet', 'verbose', 'silent'");
    expect(refusal({ lots: 'warn' }).message).toContain('Unknown logging event "lots"');
    expect(refusal({ lost: 'warning' }).message).toContain(
      'logging.lost must be a Logger level (fatal, error, warn, log, debug, verbose) or false, but received "warning"',
    );
    expect(refusal({ lost: true })).toBeInstanceOf(InvalidLockOptionsError);
    expect(refusal(['quiet'])).toBeInstanceOf(InvalidLockOptionsError);
    expect(refusal(null)).toBeInstanceOf(InvalidLockOptionsError);
  });
});
