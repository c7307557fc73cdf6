// The README's "Reusing your app's Redis connection" recipes (docs/guide/recipes.md), each in a
// real Nest application: a Redis module of another package owns the connection, and the lock
// module is handed its client through forRootAsync({ inject, useFactory }).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type DynamicModule,
  Global,
  type INestApplication,
  Module,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  RedisModule as LiaoliaotsRedisModule,
  RedisService as LiaoliaotsRedisService,
} from '@liaoliaots/nestjs-redis';
import { getRedisConnectionToken, RedisModule as IoRedisModule } from '@nestjs-modules/ioredis';
import { RedisModule as NodeRedisModule, RedisToken } from '@nestjs-redis/client';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClientType } from 'redis';
import { createClient as createNodeRedis5Client } from 'redis5';
import {
  type LockClient,
  REDIS_LOCK_CLIENT,
  RedisLockModule,
  type RedisLockModuleOptions,
  RedisLockService,
  RedisUnreachableError,
} from '../../lib/index.js';
import { freePort } from '../support/redis-server.js';
import { useRedisCluster, useRedisServer } from '../support/suites.js';
import { until } from '../support/until.js';
import {
  connectionsNamed,
  gate,
  ioredisShared,
  Ledger,
  LEDGER_KEY,
  nodeRedisShared,
  type SharedClient,
  watchClosers,
  WOKEN_ONLY_BY_RELEASE,
} from './fixtures/recipes.fixture.js';

interface RecipeConnection {
  readonly url: string;
  /** CLIENT SETNAME of the shared client (and of what is duplicated from it). */
  readonly name: string;
  readonly lockOptions?: RedisLockModuleOptions;
}

interface Recipe<C extends RecipeConnection = RecipeConnection> {
  readonly name: string;
  /** The package's module, which creates the shared client and closes it on shutdown. */
  redisModule(connection: C): DynamicModule;
  /** The lock module on the package's client, as the recipe writes it. */
  lockModule(connection: C): DynamicModule;
  /** The shared client, read the way the application's own code reads it. */
  shared(app: INestApplication): SharedClient;
  /** Where the package lives: its shutdown hook is the one that closes the shared client. */
  readonly owner: string;
}

/** The packages on ioredis, which tell a test their client the moment they create it. */
interface IoredisConnection extends RecipeConnection {
  readonly onClient?: (client: Redis) => void;
  /** ioredis options of the shared client. */
  readonly redis?: RedisOptions;
}

const ioredisRecipes: Array<Recipe<IoredisConnection>> = [
  {
    name: '@nestjs-modules/ioredis',
    redisModule: ({ url, name, onClient, redis }) =>
      IoRedisModule.forRoot({
        type: 'single',
        url,
        options: { ...redis, connectionName: name },
        onClientReady: (client) => onClient?.(client),
      }),
    lockModule: ({ lockOptions }) =>
      RedisLockModule.forRootAsync({
        inject: [getRedisConnectionToken()],
        useFactory: (redis: Redis) => ({ client: redis, ...WOKEN_ONLY_BY_RELEASE, ...lockOptions }),
      }),
    shared: (app) => ioredisShared(app.get<Redis>(getRedisConnectionToken())),
    owner: join('node_modules', '@nestjs-modules', 'ioredis'),
  },
  {
    name: '@liaoliaots/nestjs-redis',
    redisModule: ({ url, name, onClient, redis }) =>
      LiaoliaotsRedisModule.forRoot({
        config: {
          ...redis,
          url,
          connectionName: name,
          onClientCreated: (client) => onClient?.(client),
        },
      }),
    lockModule: ({ lockOptions }) =>
      RedisLockModule.forRootAsync({
        inject: [LiaoliaotsRedisService],
        useFactory: (redis: LiaoliaotsRedisService) => ({
          client: redis.getOrThrow(),
          ...WOKEN_ONLY_BY_RELEASE,
          ...lockOptions,
        }),
      }),
    shared: (app) => ioredisShared(app.get(LiaoliaotsRedisService).getOrThrow()),
    owner: join('node_modules', '@liaoliaots', 'nestjs-redis'),
  },
];

const nodeRedisRecipe: Recipe = {
  name: '@nestjs-redis/client',
  redisModule: ({ url, name }) =>
    // Global, as the guide says: the lock module then sees its token, and Nest closes it last.
    NodeRedisModule.forRoot({ isGlobal: true, options: { url, name } }),
  lockModule: ({ lockOptions }) =>
    RedisLockModule.forRootAsync({
      inject: [RedisToken()],
      useFactory: (redis: RedisClientType) => ({
        client: redis,
        ...WOKEN_ONLY_BY_RELEASE,
        ...lockOptions,
      }),
    }),
  shared: (app) => nodeRedisShared(app.get<RedisClientType>(RedisToken())),
  owner: join('node_modules', '@nestjs-redis', 'client'),
};

const recipes: Recipe[] = [...ioredisRecipes, nodeRedisRecipe];

/**
 * The application's modules: the package's first, as the guide says (Nest runs the shutdown
 * hooks of global modules in the reverse order they were imported in).
 */
function modules<C extends RecipeConnection>(
  recipe: Recipe<C>,
  connection: C,
  lockModuleFirst = false,
): DynamicModule[] {
  const both = [recipe.redisModule(connection), recipe.lockModule(connection)];
  return lockModuleFirst ? both.reverse() : both;
}

const silent = { log() {}, error() {}, warn() {} };

/** @param quiet whether to keep the packages' connection errors out of the test's output */
async function boot(
  imports: Array<Type | DynamicModule>,
  quiet = false,
): Promise<INestApplication> {
  const builder = Test.createTestingModule({ imports, providers: [Ledger] });
  const moduleRef = await (quiet ? builder.setLogger(silent) : builder).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

let names = 0;
/** A connection name no other test of the file uses. */
const uniqueName = (): string => `recipe-${process.pid}-${++names}`;

/**
 * Holds the ledger's lock with a first call, makes a second call wait for it, and waits until
 * that waiter listens for the release on a connection named `name`; returns the open gate's
 * time and both calls.
 */
async function raceTwoCalls(
  app: INestApplication,
  observer: Redis,
  name: string,
): Promise<{ release(): number; calls: Promise<unknown> }> {
  const ledger = app.get(Ledger);
  const first = gate();
  const firstCall = ledger.enter('first', first.opened);
  await until(() => ledger.events.includes('start:first'), 'the first call to enter');
  const secondCall = ledger.enter('second', Promise.resolve());
  await until(
    async () => (await connectionsNamed(observer, name)).some((c) => c.subscriptions > 0),
    'the waiter to subscribe',
  );
  return {
    release: () => {
      first.open();
      return performance.now();
    },
    calls: Promise.all([firstCall, secondCall]),
  };
}

describe.each(recipes)('recipe: $name', (recipe) => {
  const db = useRedisServer();

  it('locks with the shared client: two concurrent calls exclude each other, and the release wakes the waiter through a subscriber connection of the lock module', async () => {
    const name = uniqueName();
    const app = await boot(modules(recipe, { url: db.server.url, name }));
    try {
      const shared = recipe.shared(app);
      expect(app.get(REDIS_LOCK_CLIENT)).toBe(shared.client);
      const sharedId = await shared.id();
      const ledger = app.get(Ledger);

      const race = await raceTwoCalls(app, db.redis, name);
      expect(ledger.events).toEqual(['start:first']);
      // Two connections carry the app's name: the shared client, never in subscriber mode, and
      // the one the lock module duplicated from it (so it has its options) to wait on.
      const connections = await connectionsNamed(db.redis, name);
      expect(connections).toHaveLength(2);
      const sharedEntry = connections.find((c) => c.id === sharedId);
      const subscriber = connections.find((c) => c.id !== sharedId);
      expect(sharedEntry?.subscriptions).toBe(0);
      expect(sharedEntry?.flags).not.toContain('P');
      expect(subscriber?.subscriptions).toBeGreaterThan(0);
      expect(subscriber?.flags).toContain('P');
      // The app's own commands still run on it (a connection in subscriber mode refuses a SET).
      expect(await shared.set('recipe:app-data', 'mine')).toBe('OK');

      const releasedAt = race.release();
      await race.calls;
      expect(ledger.events).toEqual(['start:first', 'end:first', 'start:second', 'end:second']);
      // No polling for a minute: only the release's message can have woken the waiter so soon.
      expect(ledger.startedAt.get('second')! - releasedAt).toBeLessThan(2_000);
      expect(await db.redis.exists(LEDGER_KEY)).toBe(0);
      expect(await shared.get('recipe:app-data')).toBe('mine');
    } finally {
      await app.close();
    }
  });

  it('app.close() closes the subscriber connection the lock module made, and leaves the shared client to its own module', async () => {
    const name = uniqueName();
    const app = await boot(modules(recipe, { url: db.server.url, name }));
    const shared = recipe.shared(app);
    const closers = watchClosers(shared.client, shared.closeMethods);
    const race = await raceTwoCalls(app, db.redis, name);
    race.release();
    await race.calls;
    // The subscriber is still open (it closes by itself only after some idle seconds).
    expect(await connectionsNamed(db.redis, name)).toHaveLength(2);

    await app.close();

    // QUIT was answered; the socket closes right after.
    await until(() => shared.ended(), 'the shared client to end', { timeoutMs: 1_000 });
    expect(closers.closedFrom(recipe.owner)).toBe(true);
    expect(closers.closedByLibrary()).toBe(false);
    await until(
      async () => (await connectionsNamed(db.redis, name)).length === 0,
      'both connections to close',
      { timeoutMs: 1_000 },
    );
  });

  it('imported after the package, the lock module releases a lock still held at app.close() before the shared client closes', async () => {
    const app = await boot(modules(recipe, { url: db.server.url, name: uniqueName() }));
    await app.get(RedisLockService).acquire('recipe:left-held');
    expect(await db.redis.exists('lock:recipe:left-held')).toBe(1);
    await app.close();
    expect(await db.redis.exists('lock:recipe:left-held')).toBe(0);
  });

  // Known limitation, documented in the guide: Nest runs onApplicationShutdown of global modules
  // in the reverse order of their import, so the package quits the shared client first and the
  // lock is left to expire at its ttl. Passes (and must become a plain test) once the lock
  // module releases what it holds before any module's onApplicationShutdown.
  it.failing(
    'imported before the package, the lock module still releases a lock held at app.close()',
    async () => {
      const app = await boot(modules(recipe, { url: db.server.url, name: uniqueName() }, true));
      try {
        await app.get(RedisLockService).acquire('recipe:left-held-first');
        await app.close();
        expect(await db.redis.exists('lock:recipe:left-held-first')).toBe(0);
      } finally {
        await db.redis.del('lock:recipe:left-held-first');
      }
    },
  );
});

describe.each(ioredisRecipes)('recipe: $name, Redis unreachable', (recipe) => {
  it('a bootstrap that fails (failFast, Redis unreachable) does not close the shared client', async () => {
    let shared: Redis | undefined;
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    const booting = boot(
      modules(recipe, {
        url: unreachable,
        name: uniqueName(),
        onClient: (client) => (shared = client),
        // ioredis's disconnect() between two reconnect attempts leaves a timer of this length
        // behind (2 s by default), which would outlive the test file.
        redis: { disconnectTimeout: 10 },
        lockOptions: { failFast: { timeout: 300 } },
      }),
      true,
    );
    try {
      await expect(booting).rejects.toBeInstanceOf(RedisUnreachableError);
      expect(shared).toBeDefined();
      // Still trying to connect: its owner decides when to stop.
      expect(shared!.status).not.toBe('end');
    } finally {
      shared?.disconnect();
    }
  });
});

describe('a client the application provides itself', () => {
  const db = useRedisServer();
  const APP_REDIS = Symbol('APP_REDIS');

  /** Clients an application makes itself, with what closes them. */
  const ownClients: Array<
    [string, (url: string, name: string) => Promise<{ shared: SharedClient; close(): unknown }>]
  > = [
    [
      'ioredis',
      async (url, name) => {
        const client = new Redis(url, { connectionName: name });
        return { shared: ioredisShared(client), close: () => client.quit() };
      },
    ],
    [
      'node-redis 5',
      async (url, name) => {
        const client = await createNodeRedis5Client({ url, name }).connect();
        return { shared: nodeRedisShared(client), close: () => client.close() };
      },
    ],
  ];

  it.each(ownClients)(
    'a client of %s stays usable after the lock module shuts down, until the application closes it',
    async (_library, make) => {
      const name = uniqueName();
      const mine = await make(db.server.url, name);
      // No shutdown hook: the client is the application's, which closes it after app.close().
      @Global()
      @Module({
        providers: [{ provide: APP_REDIS, useValue: mine.shared.client }],
        exports: [APP_REDIS],
      })
      class AppRedisModule {}
      const app = await boot([
        AppRedisModule,
        RedisLockModule.forRootAsync({
          inject: [APP_REDIS],
          useFactory: (client: LockClient) => ({ client, ...WOKEN_ONLY_BY_RELEASE }),
        }),
      ]);
      const closers = watchClosers(mine.shared.client, mine.shared.closeMethods);
      const race = await raceTwoCalls(app, db.redis, name);
      // The shared client and the duplicate the lock module waits on.
      expect(await connectionsNamed(db.redis, name)).toHaveLength(2);
      race.release();
      await race.calls;

      await app.close();

      expect(closers.stacks).toEqual([]);
      expect(mine.shared.ended()).toBe(false);
      expect(await mine.shared.set('recipe:after-close', 'still mine')).toBe('OK');
      expect(await mine.shared.get('recipe:after-close')).toBe('still mine');
      // Only the lock module's subscriber is gone.
      const left = await connectionsNamed(db.redis, name);
      expect(left.map((c) => c.id)).toEqual([await mine.shared.id()]);
      await mine.close();
    },
  );

  /** A module that provides `client` and quits it in its onApplicationShutdown hook. */
  function closingModule(client: Redis, global: boolean): Type {
    @Module({ providers: [{ provide: APP_REDIS, useValue: client }], exports: [APP_REDIS] })
    class ClosingRedisModule implements OnApplicationShutdown {
      async onApplicationShutdown(): Promise<void> {
        await client.quit();
      }
    }
    if (global) Global()(ClosingRedisModule);
    return ClosingRedisModule;
  }

  async function leftHeldAtClose(client: Redis, redisModule: Type): Promise<number> {
    const app = await boot([
      redisModule,
      RedisLockModule.forRootAsync({
        imports: [redisModule],
        inject: [APP_REDIS],
        useFactory: (redis: Redis) => ({ client: redis }),
      }),
    ]);
    const closers = watchClosers(client);
    await app.get(RedisLockService).acquire('recipe:own-left-held');
    await app.close();
    expect(closers.closedByLibrary()).toBe(false);
    try {
      return await db.redis.exists('lock:recipe:own-left-held');
    } finally {
      await db.redis.del('lock:recipe:own-left-held');
    }
  }

  it('closed by a global module imported before the lock module, after the lock module released what it held', async () => {
    const mine = db.server.client();
    expect(await leftHeldAtClose(mine, closingModule(mine, true))).toBe(0);
    await until(() => mine.status === 'end', 'the client to end', { timeoutMs: 1_000 });
  });

  // The pitfall the guide warns of: the shutdown hook of a module that is not global runs before
  // the lock module's (see the it.failing of the recipes above).
  it.failing(
    'closed by a module that is not global, after the lock module released what it held',
    async () => {
      const mine = db.server.client();
      expect(await leftHeldAtClose(mine, closingModule(mine, false))).toBe(0);
    },
  );
});

describe('recipe: @nestjs-modules/ioredis on a Redis Cluster', () => {
  const topology = useRedisCluster();

  it('locks with the shared Cluster client, and the release wakes the waiter through sharded pub/sub on connections of the lock module', async () => {
    const name = uniqueName();
    const app = await boot([
      IoRedisModule.forRoot({
        type: 'cluster',
        nodes: topology.cluster.nodes.map(({ host, port }) => ({ host, port })),
        options: { redisOptions: { connectionName: name } },
      }),
      RedisLockModule.forRootAsync({
        inject: [getRedisConnectionToken()],
        useFactory: (cluster: Cluster) => ({ client: cluster, ...WOKEN_ONLY_BY_RELEASE }),
      }),
    ]);
    const shared = app.get<Cluster>(getRedisConnectionToken());
    const closers = watchClosers(shared as unknown as Redis);
    const observers = topology.cluster.nodes.map((node) => node.client());
    /** Each connection with the server it is on: connection ids are per server. */
    const everyNode = async (connectionName: string): Promise<string[]> =>
      (
        await Promise.all(
          observers.map(async (o) =>
            (await connectionsNamed(o, connectionName)).map(
              (c) => `${o.options.port}/${c.id}/${c.flags}/${c.subscriptions}`,
            ),
          ),
        )
      ).flat();
    // ioredis names the connections of a Cluster's sharded subscribers after its own.
    const shardedSubscribers = `ioredis-cluster(ssubscriber):${name}`;
    try {
      expect(app.get(REDIS_LOCK_CLIENT)).toBe(shared);
      const ledger = app.get(Ledger);
      const first = gate();
      const firstCall = ledger.enter('first', first.opened);
      await until(() => ledger.events.includes('start:first'), 'the first call to enter');
      const secondCall = ledger.enter('second', Promise.resolve());
      const subscribed = (entry: string): boolean => !entry.endsWith('/0');
      await until(
        async () => (await everyNode(shardedSubscribers)).some(subscribed),
        'the waiter to subscribe',
      );
      // The shared client's node connections never subscribe (no flag P, no subscriptions);
      // connections of the lock module's duplicate do, with SSUBSCRIBE.
      const sharedConnections = await Promise.all(
        shared
          .nodes('all')
          .map(async (node) => `${node.options.port}/${Number(await node.client('ID'))}/N/0`),
      );
      expect(await everyNode(name)).toEqual(expect.arrayContaining(sharedConnections));
      expect((await everyNode(name)).filter(subscribed)).toEqual([]);
      const subscribers = (await everyNode(shardedSubscribers)).filter(subscribed);
      expect(subscribers.length).toBeGreaterThan(0);
      expect(subscribers.every((entry) => entry.includes('/P/'))).toBe(true);
      expect(ledger.events).toEqual(['start:first']);

      first.open();
      const releasedAt = performance.now();
      await Promise.all([firstCall, secondCall]);
      expect(ledger.events).toEqual(['start:first', 'end:first', 'start:second', 'end:second']);
      expect(ledger.startedAt.get('second')! - releasedAt).toBeLessThan(2_000);
    } finally {
      await app.close();
    }
    await until(() => shared.status === 'end', 'the shared Cluster client to end', {
      timeoutMs: 1_000,
    });
    expect(closers.closedFrom(join('node_modules', '@nestjs-modules', 'ioredis'))).toBe(true);
    expect(closers.closedByLibrary()).toBe(false);
    expect(await everyNode(shardedSubscribers)).toEqual([]);
    await Promise.all(observers.map((o) => o.quit()));
  }, 60_000);
});
