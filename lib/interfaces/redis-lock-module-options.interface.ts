import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { LockClient, QuorumMasterClient } from '../core/lock-manager.js';
import type { InMemoryLockStore } from '../core/memory/in-memory-lock-store.js';
import type { LockManagerOptions } from '../core/interfaces/lock-manager-options.interface.js';
import type { MapLockErrors } from '../exceptions/lock-error-mapper.interface.js';
import type { LockLoggingOptions } from './lock-logging-options.interface.js';
import type { OpenTelemetryOptions } from './open-telemetry-options.interface.js';

/**
 * Options of `RedisLockModule.forRoot()` / `forRootAsync()`.
 *
 * Give the module ONE way to reach Redis: `url` (optionally with `redis` options), `redis`
 * options alone, `cluster`, or an existing `client` (ioredis, iovalkey or node-redis). The
 * connections the module creates are ioredis's, or node-redis's with `nodeRedis`. Several URLs (or clients) make a Redlock
 * quorum over independent masters. The module closes on shutdown only the connections it
 * created itself, never a client it was handed. Application code (`@DistributedLock`,
 * `RedisLockService`) stays the same on every topology.
 *
 * The lock defaults (`keyPrefix`, `ttl`, `waitTimeout`, `autoExtend`, `retry`, `driftFactor`,
 * `owner`, `maxKeyLength`, `waiterTtl`) are those of the engine's `LockManagerOptions` and apply to every
 * lock the module takes: through `RedisLockService` and `@DistributedLock` alike (`autoExtend`
 * has its own default for decorated methods and `with*` calls: see there).
 *
 * @example
 * RedisLockModule.forRoot({ url: 'redis://localhost:6379', keyPrefix: 'shop:lock:', ttl: 10_000 })
 * @publicApi
 */
export interface RedisLockModuleOptions extends Omit<LockManagerOptions, 'subscriber'> {
  /**
   * A Redis URL, `redis://[user:password@]host:port[/db]` or `rediss://...` for TLS. The module
   * creates the connection and closes it on shutdown. A list of 3 to 15 URLs of independent
   * masters makes a Redlock quorum (see the guide's Topologies page, docs/guide/topologies.md).
   */
  url?: string | readonly string[];
  /**
   * ioredis options of the connection the module creates (with `url`, they complete it; alone,
   * they describe it, e.g. `{ host, port }` or `{ sentinels, name }` for Sentinel).
   */
  redis?: RedisOptions;
  /**
   * A Redis Cluster the module connects to (and closes on shutdown): its seed nodes and ioredis
   * Cluster options.
   * @example
   * cluster: { nodes: [{ host: 'redis-1', port: 6379 }, { host: 'redis-2', port: 6379 }] }
   */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /**
   * Create the connection with node-redis (the `redis` package, 5 or 6, which must be installed)
   * instead of ioredis: `true`, or the options of node-redis's `createClient` (`createCluster`
   * with `cluster`), such as `{ RESP: 3 }` or `{ socket: { tls: true } }`. The address comes
   * from `url` (a list for a quorum) or `cluster.nodes`; `redis` (ioredis options) and
   * `cluster.options` do not apply then. The module connects it and closes it on shutdown.
   * @default false (ioredis)
   * @example
   * RedisLockModule.forRoot({ url: process.env.REDIS_URL, nodeRedis: true })
   */
  nodeRedis?: boolean | NodeRedisCreateOptions;
  /**
   * A client your application already has: ioredis or iovalkey `Redis` or `Cluster`, or
   * node-redis `createClient()`, `createCluster()` or `createSentinel()` (connected), or a list
   * of clients of independent masters, for a quorum. The module uses it as it is, opens its own
   * pub/sub connection from it (closed on shutdown) and never closes the client itself.
   * @example
   * RedisLockModule.forRootAsync({
   *   inject: [REDIS_CLIENT],
   *   useFactory: (client: RedisClientType) => ({ client }),
   * })
   */
  client?: LockClient | readonly QuorumMasterClient[];
  /**
   * Locks kept in this process's memory instead of Redis, with the same API and semantics (ttl,
   * waiting, re-entrancy, onLocked, semaphores, read-write and fair locks): for unit tests of
   * your services without a Redis. `true` uses one store shared by every module of the process
   * (instances of an app in one test then exclude each other); pass an `InMemoryLockStore` to
   * choose. **It locks only within one process**: never use it between instances of an app.
   * There is no Redis client to inject then (`@InjectRedisLockClient()` gets `undefined`).
   * @example
   * RedisLockModule.forRoot({ inMemory: true })
   */
  inMemory?: boolean | InMemoryLockStore;
  /**
   * Whether the module's locks are renewed (about every ttl/3) while they are held, so that
   * work may run longer than its ttl; `ttl` then only bounds how long a crashed instance
   * blocks the others.
   *
   * Left out, decorated methods and `with*` calls renew their locks, and locks from
   * `acquire()`/`tryAcquire()` (which you release yourself) are not renewed. Set, it is the
   * default of all of them: `false` makes every lock last its ttl unless a decorator or a call
   * asks for renewal, `true` renews `acquire()` locks too. A decorator's or a call's own
   * `autoExtend` wins.
   * @default true for decorated methods and `with*` calls; false for `acquire()`/`tryAcquire()`
   */
  autoExtend?: boolean;
  /**
   * What `@DistributedLock` does when the lock is held by someone else after `waitTimeout`:
   * `'throw'` a `LockTimeoutError` (409 Conflict for a client), or `'skip'` the method. Each
   * decorator may override it. A Redis failure is never "held": it always throws.
   * @default 'throw'
   */
  onLocked?: 'throw' | 'skip';
  /**
   * What a caller gets when the lock was lost while a decorated method (or a `with*` callback)
   * ran and the method then returned: `'throw'` a `LockLostError` (its result is discarded: the
   * work ran without exclusion for a while; 503 for a client), or `'ignore'` the loss and
   * return the result (the loss is logged). The method's own `signal` (`current().signal`)
   * aborts the moment the loss is known, whatever this says. Each decorator and `with*` call
   * may override it.
   * @default 'throw'
   */
  onLost?: 'throw' | 'ignore';
  /**
   * What becomes of a lock error that reaches a controller, resolver, gateway or message
   * handler, wherever the lock was taken (a decorated route, a decorated service method below
   * it, `withLock`):
   *
   * - `true`: the transport's answer: contention is 409 Conflict (GraphQL, RPC and WebSocket
   *   code `CONFLICT`); a Redis failure, a lost lock or a shutdown 503 Service Unavailable
   *   (`SERVICE_UNAVAILABLE`, with `Retry-After`) and an error in the log naming the cause; a key
   *   the arguments cannot build 400 (`BAD_REQUEST`). The client's message names nothing of
   *   your code; the log line names the method, key and cause.
   * - `false`: the error as it is (`LockTimeoutError`, `LockLostError`...), for your own
   *   exception filters.
   * - a function: your answer (return what to throw), or `undefined` for the default one.
   *
   * Each decorator may override it.
   * @default true
   * @example
   * mapErrors: (failure) =>
   *   failure.kind === 'locked' ? new HttpException(failure.message, 423) : undefined
   */
  mapErrors?: MapLockErrors;
  /**
   * Check at bootstrap that Redis answers (`PING` and loading the lock scripts on every server;
   * a majority of a quorum), waiting up to `timeout` ms (default 10000) for it to come up, and
   * fail the bootstrap with `RedisUnreachableError` naming the cause if it does not. Off, the
   * application boots without Redis, logs the failed connection once, and locks fail (503)
   * until Redis is back.
   * @default false
   * @example
   * failFast: true
   * failFast: { timeout: 3_000 }
   */
  failFast?: boolean | { timeout?: number };
  /**
   * Whether a decorated method (or `withLock`) may enter a lock that its own async call chain
   * already holds, instead of waiting for itself.
   * @default true
   */
  reentrant?: boolean;
  /**
   * How long `app.close()` waits for locked methods (and `with*` callbacks) still running, in
   * milliseconds. When it passes, every lock still held is released at once (their signals
   * abort with `LockLostError` of reason `closed`) and the calls that were cut are logged. Nest
   * closes the HTTP server only after this wait: under `nest start --watch`, use `0` so that a
   * reload frees the port at once (see the FAQ, docs/guide/faq.md, "watch mode").
   * @default 10000
   */
  shutdownTimeout?: number;
  /**
   * What the module logs through Nest's `Logger` (context `RedisLock`): `'quiet'` (lost locks,
   * Redis failures, shutdown timeouts, replica shortfalls), `'verbose'` (plus every acquire,
   * wait, renewal and release, at `debug`), `'silent'`, or a level per event over `'quiet'`.
   * @default 'quiet'
   * @example
   * logging: { lost: 'error', acquireFailed: 'warn', connection: false }
   */
  logging?: LockLoggingOptions;
  /**
   * OpenTelemetry metrics and spans (their names: docs/guide/operating.md, "OpenTelemetry"). Left out, they are
   * recorded when `@opentelemetry/api` is installed, and nothing is loaded otherwise; `true` or
   * an object requires it (bootstrap fails without it); `false` never loads it.
   * @default used when installed
   * @example
   * openTelemetry: { tracing: false } // metrics only
   */
  openTelemetry?: boolean | OpenTelemetryOptions;
}

/**
 * A class that builds the module options, for `forRootAsync({ useClass })` or
 * `forRootAsync({ useExisting })`.
 *
 * @example
 * @Injectable()
 * export class LockOptions implements RedisLockOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *   createRedisLockOptions(): RedisLockModuleOptions {
 *     return { url: this.config.getOrThrow('REDIS_URL') };
 *   }
 * }
 * @publicApi
 */
export interface RedisLockOptionsFactory {
  createRedisLockOptions(): RedisLockModuleOptions | Promise<RedisLockModuleOptions>;
}

/**
 * Options of node-redis's `createClient()` (or `createCluster()` with the module's `cluster`
 * option), passed to it as they are: the module does not depend on node-redis's types.
 * @publicApi
 */
export type NodeRedisCreateOptions = Readonly<Record<string, unknown>>;
