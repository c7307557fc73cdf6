import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DistributedLock,
  DistributedSemaphore,
  LockManager,
  RedisLockModule,
  type RedisLockModuleOptions,
  RedisLockService,
} from '../../lib/index.js';
import { useRedisServer } from '../support/suites.js';

type Fate = 'renewed' | 'expired';

/**
 * What happens first to the lease of `key` while the work holds it: a renewal, or its expiry.
 * No clock in the test: a renewed lease is extended at a third of its ttl, long before it could
 * expire; one that is not renewed can only expire.
 */
function fateOf(manager: LockManager, key: string): Promise<Fate> {
  return new Promise((resolve) => {
    const onExtended = ({ key: extended, automatic }: { key: string; automatic: boolean }) => {
      if (extended === key && automatic) settle('renewed');
    };
    const onLost = ({ key: lost }: { key: string }) => {
      if (lost === key) settle('expired');
    };
    const settle = (fate: Fate): void => {
      manager.off('extended', onExtended);
      manager.off('lost', onLost);
      resolve(fate);
    };
    manager.on('extended', onExtended);
    manager.on('lost', onLost);
  });
}

@Injectable()
class Jobs {
  constructor(
    private readonly locks: RedisLockService,
    private readonly manager: LockManager,
  ) {}

  /** Holds the lock of `key` until its fate is known, and reports it. */
  private hold(key: string): Promise<Fate> {
    return fateOf(this.manager, key);
  }

  @DistributedLock('job:<0>', { onLost: 'ignore' })
  decorated(name: string): Promise<Fate> {
    return this.hold(`job:${name}`);
  }

  @DistributedLock('job:<0>', { onLost: 'ignore', autoExtend: true })
  decoratedRenewing(name: string): Promise<Fate> {
    return this.hold(`job:${name}`);
  }

  @DistributedSemaphore('pool:<0>', { permits: 2, onLost: 'ignore' })
  decoratedPermit(name: string): Promise<Fate> {
    return this.hold(`pool:${name}`);
  }

  withLock(name: string, autoExtend?: boolean): Promise<Fate> {
    return this.locks.withLock(`job:${name}`, () => this.hold(`job:${name}`), {
      onLost: 'ignore',
      ...(autoExtend !== undefined && { autoExtend }),
    });
  }

  withPermit(name: string): Promise<Fate> {
    return this.locks.withPermit(`pool:${name}`, () => this.hold(`pool:${name}`), {
      permits: 2,
      onLost: 'ignore',
    });
  }

  withReadLock(name: string): Promise<Fate> {
    return this.locks.withReadLock(`doc:${name}`, () => this.hold(`doc:${name}`), {
      onLost: 'ignore',
    });
  }

  withWriteLock(name: string): Promise<Fate> {
    return this.locks.withWriteLock(`doc:${name}`, () => this.hold(`doc:${name}`), {
      onLost: 'ignore',
    });
  }

  async acquired(name: string): Promise<Fate> {
    const fate = this.hold(`job:${name}`);
    const lock = await this.locks.acquire(`job:${name}`);
    const result = await fate;
    await lock.release().catch(() => undefined);
    return result;
  }
}

describe("the module's autoExtend: the default of every lock the module takes", () => {
  const db = useRedisServer();
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function jobs(options: Partial<RedisLockModuleOptions>): Promise<Jobs> {
    const moduleRef = await Test.createTestingModule({
      // A short ttl: a lease that is not renewed expires soon.
      imports: [RedisLockModule.forRoot({ url: db.server.url, ttl: 300, ...options })],
      providers: [Jobs],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app.get(Jobs);
  }

  it('left out: decorated methods and with* calls renew their locks, acquire() does not', async () => {
    const j = await jobs({});
    await expect(j.decorated('a')).resolves.toBe('renewed');
    await expect(j.decoratedPermit('a')).resolves.toBe('renewed');
    await expect(j.withLock('b')).resolves.toBe('renewed');
    await expect(j.withPermit('b')).resolves.toBe('renewed');
    await expect(j.withReadLock('b')).resolves.toBe('renewed');
    await expect(j.withWriteLock('c')).resolves.toBe('renewed');
    await expect(j.acquired('d')).resolves.toBe('expired');
  });

  it('false: no lock of the module is renewed, unless a decorator or a call asks', async () => {
    const j = await jobs({ autoExtend: false });
    await expect(j.decorated('a')).resolves.toBe('expired');
    await expect(j.decoratedPermit('a')).resolves.toBe('expired');
    await expect(j.withLock('b')).resolves.toBe('expired');
    await expect(j.withReadLock('b')).resolves.toBe('expired');
    await expect(j.decoratedRenewing('c')).resolves.toBe('renewed');
    await expect(j.withLock('d', true)).resolves.toBe('renewed');
  });

  it('true: acquire() renews too', async () => {
    const j = await jobs({ autoExtend: true });
    await expect(j.acquired('a')).resolves.toBe('renewed');
    await expect(j.withLock('b', false)).resolves.toBe('expired');
  });
});
