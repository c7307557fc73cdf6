// The LockStore contract of @nestjs/locks as this project reads its documentation, written as
// jest cases that any topology can run: call lockStoreContract() inside a describe block that
// provides the target.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import {
  InvalidLockOptionsError,
  LockBackendError,
  type LockClient,
} from '../../../lib/core/index.js';
import {
  type LockAcquireResult,
  RedisLockStore,
  type RedisLockStoreOptions,
} from '../../../lib/experimental/index.js';
import { until } from '../../support/until.js';

/** What the contract runs on: one topology, reached through several connections. */
export interface ContractTarget {
  /** Clients with separate connections to the same Redis (or Cluster); at least 2. */
  readonly clients: readonly (Redis | Cluster)[];
  /**
   * The clients the stores run on, when not `clients` (another client library); `clients[0]`
   * still looks at Redis for the test.
   */
  readonly storeClients?: readonly LockClient[];
}

/** 30 days in ms: past a 32-bit integer. */
const THIRTY_DAYS = 30 * 24 * 60 * 60 * 1000;
/** A ttl long enough that no round trip of a test can outlive it. */
const LONG = 60_000;
const CALLERS = 16;

/** The winner's index and token; fails unless exactly one result acquired. */
export function oneWinner(results: readonly LockAcquireResult[]): {
  winner: number;
  token: number;
} {
  const winners = results.flatMap((result, i) => (result.acquired ? [i] : []));
  expect(winners).toHaveLength(1);
  for (const [i, result] of results.entries()) {
    if (i !== winners[0]) expect(result).toEqual({ acquired: false });
  }
  const result = results[winners[0]!]!;
  return { winner: winners[0]!, token: tokenOf(result) };
}

/** The token of an acquired lock, after checking its shape. */
export function tokenOf(result: LockAcquireResult): number {
  expect(result).toEqual({ acquired: true, fencingToken: expect.any(Number) });
  const token = (result as { fencingToken: number }).fencingToken;
  expect(Number.isSafeInteger(token) && token >= 1).toBe(true);
  return token;
}

/** The keys matching `pattern`, on every master of a Cluster. */
export async function keysOf(client: Redis | Cluster, pattern: string): Promise<string[]> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  return (await Promise.all(nodes.map((node) => node.keys(pattern)))).flat();
}

export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as Cluster).isCluster === true;
}

export function lockStoreContract(target: () => ContractTarget): void {
  /** A store on the first client, with a key prefix of the test's own. */
  let prefix: string;
  let store: RedisLockStore;
  /** One store per client: concurrent callers on separate connections. */
  let stores: RedisLockStore[];
  const redis = (): Redis | Cluster => target().clients[0]!;
  const lockKey = (key: string): string => `${prefix}lock:${key}`;

  /** Ends a lock on the store's clock: Redis expires it now. */
  async function expire(key: string): Promise<void> {
    await redis().pexpire(lockKey(key), 1);
    await until(async () => (await redis().exists(lockKey(key))) === 0, `${key} to expire`);
  }

  beforeEach(() => {
    prefix = `contract-${randomUUID()}:`;
    const options: RedisLockStoreOptions = { keyPrefix: prefix };
    const { clients, storeClients } = target();
    stores = (storeClients ?? clients).map((client) => new RedisLockStore(client, options));
    store = stores[0]!;
  });

  it('acquire() takes a free key once: nobody else, not even the same owner, takes it again', async () => {
    const first = tokenOf(await store.acquire('k', 'a', LONG));
    expect(await store.acquire('k', 'b', LONG)).toEqual({ acquired: false });
    expect(await store.acquire('k', 'a', LONG)).toEqual({ acquired: false });
    expect(first).toBeGreaterThanOrEqual(1);
    expect(await redis().hget(lockKey('k'), 'o')).toBe('a');
  });

  it('release() frees the key for its owner only, and the next token is greater', async () => {
    const first = tokenOf(await store.acquire('k', 'a', LONG));
    expect(await store.release('k', 'b')).toBe(false);
    expect(await store.acquire('k', 'b', LONG)).toEqual({ acquired: false });
    expect(await store.release('k', 'a')).toBe(true);
    expect(await store.release('k', 'a')).toBe(false);
    const second = tokenOf(await store.acquire('k', 'b', LONG));
    expect(second).toBeGreaterThan(first);
  });

  it('renew() and release() of a key nobody holds answer false; acquire() then takes it', async () => {
    expect(await store.renew('missing', 'a', LONG)).toBe(false);
    expect(await store.release('missing', 'a')).toBe(false);
    tokenOf(await store.acquire('missing', 'a', LONG));
  });

  it('renew() restarts the ttl for its owner only, and never revives an expired lock', async () => {
    tokenOf(await store.acquire('k', 'a', 5_000));
    expect(await store.renew('k', 'a', LONG)).toBe(true);
    const renewed = await redis().pttl(lockKey('k'));
    expect(renewed).toBeGreaterThan(5_000);
    expect(await store.renew('k', 'b', 1_000)).toBe(false);
    expect(await redis().pttl(lockKey('k'))).toBeGreaterThan(5_000);
    await expire('k');
    expect(await store.renew('k', 'a', LONG)).toBe(false);
    expect(await redis().exists(lockKey('k'))).toBe(0);
    tokenOf(await store.acquire('k', 'b', LONG));
  });

  it("measures ttl in milliseconds on Redis's clock, from the call, up to weeks", async () => {
    tokenOf(await store.acquire('ms', 'a', 2_500));
    const pttl = await redis().pttl(lockKey('ms'));
    // Not rounded to whole seconds (a store using EX would say 3000).
    expect(pttl).toBeGreaterThan(2_000);
    expect(pttl).toBeLessThanOrEqual(2_500);

    tokenOf(await store.acquire('weeks', 'a', THIRTY_DAYS));
    expect(await redis().pttl(lockKey('weeks'))).toBeGreaterThan(2 ** 31);
    expect(await store.renew('weeks', 'a', THIRTY_DAYS)).toBe(true);
    expect(await store.acquire('weeks', 'b', LONG)).toEqual({ acquired: false });
    expect(await store.release('weeks', 'a')).toBe(true);

    tokenOf(await store.acquire('one', 'a', 1));
    await until(async () => (await store.acquire('one', 'b', LONG)).acquired, 'a 1 ms lock to end');
  });

  it('an expired lock is taken over with a greater token, and its owner is fenced off', async () => {
    const stale = tokenOf(await store.acquire('k', 'paused', 5_000));
    await expire('k');
    const next = tokenOf(await store.acquire('k', 'next', LONG));
    expect(next).toBeGreaterThan(stale);
    expect(await store.renew('k', 'paused', 5_000)).toBe(false);
    expect(await store.release('k', 'paused')).toBe(false);
    expect(await store.acquire('k', 'other', LONG)).toEqual({ acquired: false });
    expect(await store.release('k', 'next')).toBe(true);
  });

  it('fencing tokens grow with every acquisition of a key, however it was freed', async () => {
    const tokens: number[] = [];
    for (let i = 0; i < 5; i++) {
      tokens.push(tokenOf(await store.acquire('k', `release-${i}`, LONG)));
      expect(await store.release('k', `release-${i}`)).toBe(true);
    }
    tokens.push(tokenOf(await store.acquire('k', 'expires', 5_000)));
    await expire('k');
    tokens.push(tokenOf(await store.acquire('k', 'after-expiry', LONG)));
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('keeps growing tokens when the fencing counter is lost (a restart without persistence)', async () => {
    const before = tokenOf(await store.acquire('k', 'a', LONG));
    expect(await store.release('k', 'a')).toBe(true);
    const counter = await keysOf(redis(), `${prefix}fence*`);
    expect(counter).toHaveLength(1);
    expect(Number(await redis().get(counter[0]!))).toBe(before);
    await redis().del(counter[0]!);
    expect(tokenOf(await store.acquire('k', 'b', LONG))).toBeGreaterThan(before);
  });

  it('keeps keys apart exactly, however similar, long or full of Redis syntax', async () => {
    const long = Array.from({ length: 500 }, (_, i) =>
      String.fromCodePoint(0x20 + ((i * 37) % 0x2fd0)),
    ).join('');
    const names = [
      'k',
      'K',
      'k ',
      ' k',
      'k\t',
      '',
      'jobs:export',
      'jobs%3Aexport',
      'ключ',
      '🔒',
      '\u00e9',
      'e\u0301',
      '__proto__',
      'constructor',
      '{k}',
      '{k}x',
      '{',
      '}',
      '{}',
      '#fence',
      'fence:{0}',
      'lock:k',
      'undefined',
      'NaN',
      '[object Object]',
      '*',
      '?',
      'k\n',
      `${long}x`,
      `${long}y`,
      `y${long}`,
    ];
    for (const [i, name] of names.entries()) {
      tokenOf(await store.acquire(name, `owner-${i}`, LONG));
    }
    for (const [i, name] of names.entries()) {
      expect({ i, result: await store.acquire(name, 'other', LONG) }).toEqual({
        i,
        result: { acquired: false },
      });
      expect({ i, released: await store.release(name, `owner-${i}`) }).toEqual({
        i,
        released: true,
      });
    }
  });

  it('works behind an ioredis keyPrefix, which Redis and the Cluster slot see in front of every key', async () => {
    const client = redis();
    const prefixed = isCluster(client)
      ? client.duplicate([], { keyPrefix: 'app:' })
      : client.duplicate({ keyPrefix: 'app:' });
    try {
      const scoped = new RedisLockStore(prefixed, { keyPrefix: prefix });
      const keys = Array.from({ length: 20 }, (_, i) => `spread:${i}`);
      const tokens = await Promise.all(
        keys.map(async (key) => tokenOf(await scoped.acquire(key, 'a', LONG))),
      );
      expect(tokens).toHaveLength(20);
      expect(await client.hget(`app:${lockKey('spread:3')}`, 'o')).toBe('a');
      // Another store without the client's prefix names other keys: it does not see these locks.
      tokenOf(await store.acquire('spread:3', 'b', LONG));
      for (const key of keys) expect(await scoped.release(key, 'a')).toBe(true);
    } finally {
      prefixed.disconnect();
    }
  });

  it('refuses bad input with a typed error before any Redis call', async () => {
    // A client that fails the test's expectation if anything reaches it.
    const sent = (): never => {
      throw new Error('a command was sent');
    };
    const offline = new RedisLockStore({
      evalsha: sent,
      eval: sent,
      defineCommand: sent,
      duplicate: sent,
      options: {},
    } as unknown as Redis);
    const refusals: Array<[Promise<unknown>, string]> = [
      [offline.acquire(42 as unknown as string, 'a', 1_000), 'key'],
      [offline.acquire('k', '', 1_000), 'owner'],
      [offline.acquire('k', undefined as unknown as string, 1_000), 'owner'],
      [offline.acquire('k', 'a', 0), 'ttl'],
      [offline.acquire('k', 'a', 1.5), 'ttl'],
      [offline.acquire('k', 'a', '1000' as unknown as number), 'ttl'],
      [offline.acquire('k', 'a', Number.NaN), 'ttl'],
      [offline.acquire('half-\ud83d', 'a', 1_000), 'key'],
      [offline.renew('k', 'owner-\udc00', 1_000), 'owner'],
      [offline.renew('k', 'a', -1), 'ttl'],
      [offline.release('k', ''), 'owner'],
    ];
    for (const [call, option] of refusals) {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidLockOptionsError);
      expect((error as InvalidLockOptionsError).option).toBe(option);
    }
    expect(() => new RedisLockStore({} as Redis)).toThrow(InvalidLockOptionsError);
    expect(() => new RedisLockStore(redis(), { keyPrefix: 'a{b:' })).toThrow(/hash tag/);
    expect(() => new RedisLockStore(redis(), { prefix: 'x' } as RedisLockStoreOptions)).toThrow(
      /Unknown RedisLockStore option "prefix"/,
    );
  });

  it('reports a Redis refusal as LockBackendError, and never overwrites a key that is not its lock', async () => {
    await redis().set(lockKey('data'), 'not a lock');
    const error = await store.acquire('data', 'a', LONG).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBackendError);
    expect((error as LockBackendError).message).toMatch(/WRONGTYPE/);
    await redis().del(lockKey('data'));
    await redis().hset(lockKey('data'), 'field', 'value');
    expect(await store.acquire('data', 'a', LONG).catch((e: unknown) => e)).toBeInstanceOf(
      LockBackendError,
    );
    expect(await redis().hgetall(lockKey('data'))).toEqual({ field: 'value' });
  });

  it('runs again after the server forgot its scripts (SCRIPT FLUSH)', async () => {
    tokenOf(await store.acquire('k', 'a', LONG));
    const client = redis();
    const nodes = isCluster(client) ? client.nodes('master') : [client];
    await Promise.all(nodes.map((node) => node.script('FLUSH')));
    expect(await store.renew('k', 'a', LONG)).toBe(true);
    expect(await store.release('k', 'a')).toBe(true);
  });

  describe('concurrency', () => {
    const owners = Array.from({ length: CALLERS }, (_, i) => `owner-${i}`);
    /** Every owner acquires `key` at once, spread over the separate connections. */
    const race = (key: string, ttl = LONG): Promise<LockAcquireResult[]> =>
      Promise.all(owners.map((owner, i) => stores[i % stores.length]!.acquire(key, owner, ttl)));

    it(`of ${CALLERS} callers acquiring a free key at once, exactly one wins`, async () => {
      const { winner } = oneWinner(await race('race'));
      expect(await redis().hget(lockKey('race'), 'o')).toBe(owners[winner]);
    });

    it(`of ${CALLERS} callers acquiring an expired lock at once, exactly one takes it over`, async () => {
      const stale = tokenOf(await store.acquire('race', 'paused', 5_000));
      await expire('race');
      const { token } = oneWinner(await race('race'));
      expect(token).toBeGreaterThan(stale);
      expect(await store.renew('race', 'paused', 5_000)).toBe(false);
    });

    it("an expired lock's renew() racing the acquirers does not revive it", async () => {
      tokenOf(await store.acquire('race', 'paused', 5_000));
      await expire('race');
      const [renewed, ...results] = await Promise.all([
        stores[1]!.renew('race', 'paused', LONG),
        ...owners.map((owner, i) => stores[i % stores.length]!.acquire('race', owner, LONG)),
      ]);
      expect(renewed).toBe(false);
      oneWinner(results as LockAcquireResult[]);
    });

    it('acquire() racing release(): the release succeeds and at most one caller wins', async () => {
      tokenOf(await store.acquire('race', 'holder', LONG));
      const [released, ...results] = await Promise.all([
        stores[1]!.release('race', 'holder'),
        ...owners.map((owner, i) => stores[i % stores.length]!.acquire('race', owner, LONG)),
      ]);
      expect(released).toBe(true);
      const winners = (results as LockAcquireResult[]).filter((r) => r.acquired).length;
      expect(winners).toBeLessThanOrEqual(1);
      expect((await store.acquire('race', 'late', LONG)).acquired).toBe(winners === 0);
    });

    it(`${CALLERS} callers on ${CALLERS / 2} keys at once: one winner per key`, async () => {
      const keys = Array.from({ length: CALLERS / 2 }, (_, i) => `key-${i}`);
      const results = await Promise.all(
        keys.flatMap((key, i) => [
          stores[0]!.acquire(key, `a-${i}`, LONG),
          stores[1]!.acquire(key, `b-${i}`, LONG),
        ]),
      );
      keys.forEach((_, i) => oneWinner(results.slice(2 * i, 2 * i + 2)));
    });

    it(`rounds of ${CALLERS} racing callers hand out growing tokens`, async () => {
      let previous = 0;
      for (let round = 0; round < 5; round++) {
        const { winner, token } = oneWinner(await race('rounds'));
        expect(token).toBeGreaterThan(previous);
        previous = token;
        expect(await stores[winner % stores.length]!.release('rounds', owners[winner]!)).toBe(true);
      }
    });
  });
}
