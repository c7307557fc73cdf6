import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InvalidLockOptionsError, RedisLockModule, RedisLockService } from '../../lib/index.js';
import { monitorCommands } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';

describe("RedisLockService's with* calls refuse bad input before any Redis call", () => {
  const db = useRedisServer();
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: db.server.url, failFast: true })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('work that is not a function, an onLost it does not know', async () => {
    const locks = app.get(RedisLockService);
    const refusals: unknown[] = [];
    const commands = await monitorCommands(db.server, async () => {
      for (const call of [
        () => locks.withLock('k', 'work' as never),
        () => locks.withPermit('k', undefined as never, { permits: 2 }),
        () => locks.withReadLock('k', 42 as never),
        () => locks.withWriteLock('k', {} as never),
        () => locks.withLock('k', () => 'work', { onLost: 'retry' as never }),
      ]) {
        refusals.push(await call().catch((error: unknown) => error));
      }
    });
    expect(commands).toEqual([]);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(InvalidLockOptionsError);
    expect(refusals.map((r) => (r as InvalidLockOptionsError).option)).toEqual([
      'fn',
      'fn',
      'fn',
      'fn',
      'onLost',
    ]);
    expect((refusals[0] as Error).message).toBe(
      'withLock() needs the work to run as its second argument, a function, but received "work".',
    );
  });
});
