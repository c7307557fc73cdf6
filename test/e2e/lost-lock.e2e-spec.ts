import { once } from 'node:events';
import { Controller, type INestApplication, Injectable, Param, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { interval, lastValueFrom, map, Observable, toArray } from 'rxjs';
import {
  DistributedLock,
  type Lock,
  LockLostError,
  type LostContext,
  RedisLockModule,
  RedisLockService,
} from '../../lib/index.js';
import { useRedisServer } from '../support/suites.js';
import { CapturingLogger } from './fixtures/capturing-logger.js';
import { Gates } from './fixtures/counter.fixture.js';
import { appClient, duringOutage } from './fixtures/failures.fixture.js';

/** Work that runs until the test opens its gate, keeping the lock it ran under. */
@Injectable()
class Feeds {
  readonly locks = new Map<string, Lock>();

  constructor(
    private readonly service: RedisLockService,
    private readonly gates: Gates,
  ) {}

  private async work(feed: string): Promise<string> {
    this.locks.set(feed, this.service.current()!);
    await this.gates.wait(feed);
    return `imported ${feed}`;
  }

  @DistributedLock('feed:<0>')
  run(feed: string): Promise<string> {
    return this.work(feed);
  }

  @DistributedLock('feed:<0>', { onLost: 'ignore' })
  runIgnoring(feed: string): Promise<string> {
    return this.work(feed);
  }

  @DistributedLock('feed:<0>', {
    onLost: ({ result, error, keys }: LostContext) => ({
      kept: result,
      reason: error.reason,
      keys,
    }),
  })
  runDeciding(feed: string): Promise<unknown> {
    return this.work(feed);
  }

  /** Renewed every 100 ms: a loss is known within one renewal. */
  @DistributedLock('feed:<0>', { ttl: 300 })
  stream(feed: string): Observable<string> {
    this.locks.set(feed, this.service.current()!);
    return interval(20).pipe(map((i) => `${feed}:${i}`));
  }

  withLock(feed: string, onLost?: 'throw' | 'ignore'): Promise<string> {
    return this.service.withLock(`feed:${feed}`, () => this.work(feed), onLost && { onLost });
  }
}

@Controller('feeds')
class FeedsController {
  constructor(private readonly feeds: Feeds) {}

  @Post(':feed')
  import(@Param('feed') feed: string): Promise<string> {
    return this.feeds.run(feed);
  }
}

describe('a lock lost while the work runs: one contract for @DistributedLock and withLock', () => {
  let app: INestApplication;
  let url: string;
  const logs = new CapturingLogger();
  afterAll(async () => {
    await app.close();
  });
  const db = useRedisServer();

  let feeds: Feeds;
  let gates: Gates;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      // A short ttl: a Redis that stops answering makes the lock lost soon.
      imports: [RedisLockModule.forRoot({ url: db.server.url, keyPrefix: 'lost:', ttl: 1_000 })],
      controllers: [FeedsController],
      providers: [Feeds, Gates],
    }).compile();
    app = moduleRef.createNestApplication({ logger: logs });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    feeds = app.get(Feeds);
    gates = app.get(Gates);
  });

  /** An operator (another process) deletes the lock while `feed`'s work runs. */
  const stealDuring = async <T>(feed: string, work: Promise<T>): Promise<T> => {
    await gates.reached(feed);
    expect(await db.manager({ keyPrefix: 'lost:' }).forceRelease(`feed:${feed}`)).toBe(true);
    gates.open(feed);
    return work;
  };

  it.each<[string, (feed: string) => Promise<unknown>]>([
    ['@DistributedLock', (feed) => feeds.run(feed)],
    ['withLock', (feed) => feeds.withLock(feed)],
  ])('%s: the caller gets the LockLostError, not the result (the default)', async (_, call) => {
    const feed = `default-${_ === 'withLock' ? 'service' : 'decorator'}`;
    const error = await stealDuring(
      feed,
      call(feed).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(LockLostError);
    expect(error).toMatchObject({ key: `feed:${feed}`, reason: 'expired' });
  });

  it.each<[string, (feed: string) => Promise<unknown>]>([
    ['@DistributedLock', (feed) => feeds.runIgnoring(feed)],
    ['withLock', (feed) => feeds.withLock(feed, 'ignore')],
  ])("%s with onLost: 'ignore': the result, the loss in the log", async (_, call) => {
    const feed = `ignored-${_ === 'withLock' ? 'service' : 'decorator'}`;
    logs.lines.length = 0;
    await expect(stealDuring(feed, call(feed))).resolves.toBe(`imported ${feed}`);
    expect(logs.ours()).toEqual([
      expect.stringMatching(new RegExp(`^warn: Lock "feed:${feed}" .* lost after \\d+ ms`)),
    ]);
  });

  it('@DistributedLock with an onLost function: it decides, from the result', async () => {
    await expect(stealDuring('decided', feeds.runDeciding('decided'))).resolves.toEqual({
      kept: 'imported decided',
      reason: 'expired',
      keys: ['feed:decided'],
    });
  });

  it('an Observable stops the moment its lock is lost, and errors with the LockLostError', async () => {
    const values = lastValueFrom(feeds.stream('s').pipe(toArray())).catch((e: unknown) => e);
    // The stream runs under its lock; take the lock away from it.
    while (!feeds.locks.has('s')) await new Promise((r) => setTimeout(r, 5));
    const lock = feeds.locks.get('s')!;
    await db.manager({ keyPrefix: 'lost:' }).forceRelease('feed:s');
    await once(lock.signal, 'abort');
    const error = await values;
    expect(error).toBeInstanceOf(LockLostError);
    expect(error).toBe(lock.signal.reason);
  });

  it('over HTTP, Redis killed mid-work: the signal aborts at once, the client gets 503, the log says why', async () => {
    logs.lines.length = 0;
    const pending = request(url)
      .post('/feeds/killed')
      .then((r) => r);
    await gates.reached('killed');
    // The work runs under its lock; now Redis dies: renewals go unanswered, and once the
    // validity window passes, the lock is reported lost.
    const response = await duringOutage(db.server, [appClient(app), db.redis], async () => {
      const { signal } = feeds.locks.get('killed')!;
      await once(signal, 'abort');
      expect(signal.reason).toMatchObject({ name: 'LockLostError', reason: 'unconfirmed' });
      gates.open('killed');
      return pending;
    });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body.message).toBe(
      'The request lost its lock before it finished, so its outcome is uncertain; check before trying again.',
    );
    expect(logs.ours()).toEqual([
      expect.stringMatching(/^error: Redis connection failed \(connect ECONNREFUSED .+\)/),
      expect.stringMatching(/^warn: Lock "feed:killed" .* lost after \d+ ms \(unconfirmed\)/),
      expect.stringMatching(
        /^error: POST \/feeds\/killed \(FeedsController\.import\(\)\): @DistributedLock on Feeds\.run\(\): Lock "feed:killed" .*was lost: .* Answered 503 SERVICE_UNAVAILABLE\.$/,
      ),
      'log: Redis connection restored.',
    ]);
  });
});
