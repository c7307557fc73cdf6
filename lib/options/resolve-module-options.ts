import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import type { LockTarget } from '../core/lock-manager.js';
import { toLockConnection } from '../core/redis/connection/to-lock-connection.js';
import { InMemoryLockStore } from '../core/memory/in-memory-lock-store.js';
import type { LockManagerOptions } from '../core/interfaces/lock-manager-options.interface.js';
import { describeValue } from '../core/options/describe-value.util.js';
import {
  LOCK_MANAGER_OPTION_NAMES,
  resolveLockManagerOptions,
} from '../core/options/resolve-manager-options.js';
import {
  assertKnownOptions,
  validateBoolean,
  validateDelay,
  validateOptionsObject,
  validateWaitTimeout,
} from '../core/options/validation.js';
import type { MapLockErrors } from '../exceptions/lock-error-mapper.interface.js';
import type {
  NodeRedisCreateOptions,
  RedisLockModuleOptions,
} from '../interfaces/redis-lock-module-options.interface.js';
import {
  resolveLockLogging,
  type ResolvedLockLogging,
} from '../logging/resolve-logging-options.js';
import {
  resolveOpenTelemetry,
  type ResolvedOpenTelemetry,
} from '../telemetry/resolve-open-telemetry-options.js';

/** How the module reaches Redis (not part of the public API). */
export type RedisLockConnectionOptions =
  | { readonly kind: 'client'; readonly client: LockTarget }
  | {
      readonly kind: 'create';
      /** One URL, several (a quorum), or none (then `redis` alone describes the connection). */
      readonly urls: readonly string[] | undefined;
      readonly redis: RedisOptions;
    }
  | { readonly kind: 'cluster'; readonly nodes: ClusterNode[]; readonly options: ClusterOptions }
  | {
      readonly kind: 'node-redis';
      /** One URL, several (a quorum), or none when the options say where (`url`, `socket`). */
      readonly urls: readonly string[] | undefined;
      /** The seed nodes of a Cluster (`createCluster`), or undefined for `createClient`. */
      readonly clusterNodes: readonly ClusterNode[] | undefined;
      readonly options: NodeRedisCreateOptions;
    }
  | { readonly kind: 'memory'; readonly store: InMemoryLockStore };

/**
 * Every module default, validated and filled in once at bootstrap (not part of the public API).
 */
export interface ResolvedRedisLockModuleOptions {
  readonly connection: RedisLockConnectionOptions;
  /** Passed to the LockManager as they are: already validated. */
  readonly manager: LockManagerOptions;
  /**
   * The renewal default of decorated methods and `with*` calls: the module's `autoExtend` when
   * set, else true (their work runs inside the lock, however long it takes).
   */
  readonly autoExtend: boolean;
  readonly onLocked: 'throw' | 'skip';
  readonly onLost: 'throw' | 'ignore';
  readonly mapErrors: MapLockErrors;
  /** How long bootstrap waits for Redis to answer; `false` when it does not check. */
  readonly failFast: number | false;
  readonly reentrant: boolean;
  readonly shutdownTimeout: number;
  readonly logging: ResolvedLockLogging;
  readonly openTelemetry: ResolvedOpenTelemetry;
}

const MODULE_ONLY = [
  'inMemory',
  'url',
  'redis',
  'cluster',
  'client',
  'nodeRedis',
  'onLocked',
  'onLost',
  'mapErrors',
  'failFast',
  'reentrant',
  'shutdownTimeout',
  'logging',
  'openTelemetry',
] as const satisfies ReadonlyArray<keyof RedisLockModuleOptions>;
// The engine's options, but for `subscriber`: the module manages its connections itself.
const MANAGER_OPTIONS = LOCK_MANAGER_OPTION_NAMES.filter((name) => name !== 'subscriber');
/** Compiles only for `never`. */
type Nothing<T extends never> = T;
// A module option in neither list would be refused as unknown: this stops compiling instead.
type _EveryModuleOptionListed = Nothing<
  Exclude<
    keyof RedisLockModuleOptions,
    (typeof MODULE_ONLY)[number] | (typeof LOCK_MANAGER_OPTION_NAMES)[number]
  >
>;

/**
 * Validates the module options at bootstrap, with messages that say what to fix, so that a
 * misconfiguration never waits for the first request to show.
 * @internal
 */
export function resolveRedisLockModuleOptions(input: unknown): ResolvedRedisLockModuleOptions {
  const options = validateOptionsObject(input, 'RedisLockModule') as RedisLockModuleOptions;
  assertKnownOptions(options, [...MODULE_ONLY, ...MANAGER_OPTIONS], 'RedisLockModule');

  const manager: LockManagerOptions = {};
  for (const name of MANAGER_OPTIONS) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined) (manager as Record<string, unknown>)[name] = value;
  }
  // Checked here, at bootstrap, with the engine's messages; the manager resolves them again.
  resolveLockManagerOptions(manager);

  const onLocked = options.onLocked ?? 'throw';
  if (onLocked !== 'throw' && onLocked !== 'skip') {
    throw new InvalidLockOptionsError(
      'onLocked',
      `onLocked must be 'throw' or 'skip' (a function can be given per decorator), but received ${describeValue(onLocked)}.`,
    );
  }
  const onLost = options.onLost ?? 'throw';
  if (onLost !== 'throw' && onLost !== 'ignore') {
    throw new InvalidLockOptionsError(
      'onLost',
      `onLost must be 'throw' or 'ignore' (a function can be given per decorator), but received ${describeValue(onLost)}.`,
    );
  }
  const mapErrors = options.mapErrors ?? true;
  if (typeof mapErrors !== 'boolean' && typeof mapErrors !== 'function') {
    throw new InvalidLockOptionsError(
      'mapErrors',
      `RedisLockModule option mapErrors must be true, false or a function (failure, host) => exception, but received ${describeValue(mapErrors)}.`,
    );
  }
  const shutdownTimeout = validateWaitTimeout(options.shutdownTimeout ?? 10_000, 'shutdownTimeout');

  return Object.freeze({
    connection: resolveConnection(options),
    manager: Object.freeze(manager),
    autoExtend: manager.autoExtend ?? true,
    onLocked,
    onLost,
    mapErrors,
    failFast: resolveFailFast(options.failFast),
    reentrant: validateBoolean(options.reentrant ?? true, 'reentrant'),
    shutdownTimeout,
    logging: resolveLockLogging(options.logging),
    openTelemetry: resolveOpenTelemetry(options.openTelemetry),
  });
}

function resolveFailFast(failFast: unknown): number | false {
  if (failFast === undefined || failFast === false) return false;
  if (failFast === true) return 10_000;
  if (typeof failFast === 'object' && failFast !== null && !Array.isArray(failFast)) {
    assertKnownOptions(failFast as Record<string, unknown>, ['timeout'], 'failFast');
    const { timeout } = failFast as { timeout?: unknown };
    // Bounded: a wait without end would hang the bootstrap instead of failing it.
    return timeout === undefined ? 10_000 : validateDelay(timeout, 'failFast.timeout');
  }
  throw new InvalidLockOptionsError(
    'failFast',
    `RedisLockModule option failFast must be true, false or { timeout: ms }, but received ${describeValue(failFast)}.`,
  );
}

function resolveConnection(options: RedisLockModuleOptions): RedisLockConnectionOptions {
  const { url, redis, client, cluster, inMemory } = options;
  const memory = inMemory !== undefined && inMemory !== false;
  const ways = [
    client !== undefined,
    url !== undefined || redis !== undefined,
    cluster !== undefined,
    memory,
  ];
  if (ways.filter(Boolean).length > 1) {
    throw new InvalidLockOptionsError(
      'client',
      'RedisLockModule got more than one way to reach Redis (client, url/redis, cluster, inMemory): give it exactly one.',
    );
  }
  if (inMemory !== undefined) {
    const store = resolveInMemory(inMemory);
    if (store) return { kind: 'memory', store };
  }
  if (client !== undefined) return resolveClient(client);
  const nodeRedis = resolveNodeRedis(options);
  if (nodeRedis) return nodeRedis;
  if (cluster !== undefined) return resolveCluster(cluster);
  return resolveCreated(url, redis);
}

/** `nodeRedis`: the connection is created with node-redis, from `url` or `cluster.nodes`. */
function resolveNodeRedis(options: RedisLockModuleOptions): RedisLockConnectionOptions | undefined {
  const { nodeRedis, url, redis, cluster, client, inMemory } = options;
  if (nodeRedis === undefined || nodeRedis === false) return undefined;
  if (
    nodeRedis !== true &&
    (typeof nodeRedis !== 'object' || nodeRedis === null || Array.isArray(nodeRedis))
  ) {
    throw new InvalidLockOptionsError(
      'nodeRedis',
      `RedisLockModule option nodeRedis must be true or node-redis's createClient options such as { RESP: 3 }, but received ${describeValue(nodeRedis)}.`,
    );
  }
  if (client !== undefined || (inMemory !== undefined && inMemory !== false)) {
    throw new InvalidLockOptionsError(
      'nodeRedis',
      `nodeRedis says how the module creates its connection, but ${client !== undefined ? 'client is a connection you created' : 'inMemory uses none'}: remove one of them.`,
    );
  }
  if (redis !== undefined) {
    throw new InvalidLockOptionsError(
      'redis',
      'redis holds ioredis options, which node-redis does not read: with nodeRedis, give node-redis options in nodeRedis itself ({ nodeRedis: { socket: { ... } } }).',
    );
  }
  const nodeOptions: NodeRedisCreateOptions = nodeRedis === true ? {} : nodeRedis;
  if (cluster !== undefined) {
    const resolved = resolveCluster(cluster);
    if (cluster.options !== undefined || url !== undefined) {
      throw new InvalidLockOptionsError(
        cluster.options !== undefined ? 'cluster' : 'url',
        cluster.options !== undefined
          ? "cluster.options are ioredis's Cluster options: with nodeRedis, give createCluster options in nodeRedis itself."
          : 'url and cluster are two ways to say where Redis is: give one.',
      );
    }
    return {
      kind: 'node-redis',
      urls: undefined,
      clusterNodes: (resolved as { nodes: ClusterNode[] }).nodes,
      options: nodeOptions,
    };
  }
  const urls = url === undefined ? undefined : resolveUrls(url);
  if (
    urls === undefined &&
    nodeOptions['url'] === undefined &&
    nodeOptions['socket'] === undefined
  ) {
    throw new InvalidLockOptionsError(
      'url',
      "nodeRedis needs to know where Redis is: pass url ('redis://localhost:6379'), a list of URLs for a quorum, or cluster: { nodes }.",
    );
  }
  return { kind: 'node-redis', urls, clusterNodes: undefined, options: nodeOptions };
}

function resolveInMemory(inMemory: unknown): InMemoryLockStore | undefined {
  if (typeof inMemory !== 'boolean' && !(inMemory instanceof InMemoryLockStore)) {
    throw new InvalidLockOptionsError(
      'inMemory',
      `RedisLockModule option inMemory must be true or an InMemoryLockStore, but received ${describeValue(inMemory)}.`,
    );
  }
  if (inMemory === false) return undefined;
  return inMemory === true ? InMemoryLockStore.shared : inMemory;
}

function resolveClient(client: unknown): RedisLockConnectionOptions {
  const clients: readonly unknown[] = Array.isArray(client) ? client : [client];
  if (clients.length === 0 || !clients.every((c) => toLockConnection(c) !== undefined)) {
    throw new InvalidLockOptionsError(
      'client',
      `RedisLockModule option client must be a Redis client: ioredis or iovalkey Redis or Cluster, or node-redis createClient(), createCluster() or createSentinel() (or a list of clients of independent masters for a quorum), but received ${describeValue(client)}.`,
    );
  }
  return { kind: 'client', client: client as LockTarget };
}

function resolveCluster(
  cluster: NonNullable<RedisLockModuleOptions['cluster']>,
): RedisLockConnectionOptions {
  if (
    typeof cluster !== 'object' ||
    cluster === null ||
    !Array.isArray(cluster.nodes) ||
    cluster.nodes.length === 0
  ) {
    throw new InvalidLockOptionsError(
      'cluster',
      `RedisLockModule option cluster must look like { nodes: [{ host, port }, ...], options? }, but received ${describeValue(cluster)}.`,
    );
  }
  return { kind: 'cluster', nodes: cluster.nodes, options: cluster.options ?? {} };
}

/** A connection the module creates, from `url` (one, or a quorum's) and/or `redis` options. */
function resolveCreated(
  url: RedisLockModuleOptions['url'],
  redis: RedisLockModuleOptions['redis'],
): RedisLockConnectionOptions {
  if (url === undefined && redis === undefined) {
    throw new InvalidLockOptionsError(
      'url',
      "RedisLockModule needs a Redis connection: pass url ('redis://localhost:6379'), redis (ioredis options), cluster, or client (an ioredis instance you already have).",
    );
  }
  const urls = url === undefined ? undefined : resolveUrls(url);
  if (
    redis !== undefined &&
    (typeof redis !== 'object' || redis === null || Array.isArray(redis))
  ) {
    throw new InvalidLockOptionsError(
      'redis',
      `RedisLockModule option redis must be an ioredis options object such as { host: 'localhost', port: 6379 }, but received ${describeValue(redis)}.`,
    );
  }
  return { kind: 'create', urls, redis: redis ?? {} };
}

function resolveUrls(url: NonNullable<RedisLockModuleOptions['url']>): readonly string[] {
  const urls: readonly string[] = Array.isArray(url) ? url : [url as string];
  if (urls.length === 0) {
    throw new InvalidLockOptionsError(
      'url',
      'RedisLockModule option url is an empty list: give one URL, or 3 to 15 for a quorum.',
    );
  }
  urls.forEach(validateUrl);
  return urls;
}

function validateUrl(url: unknown): void {
  let parsed: URL | undefined;
  if (typeof url === 'string') {
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
  }
  if (
    !parsed ||
    (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') ||
    !parsed.hostname
  ) {
    throw new InvalidLockOptionsError(
      'url',
      `RedisLockModule option url must look like redis://host:6379 (or rediss:// for TLS), but received ${describeValue(url)}. ` +
        'If it comes from an environment variable, check that the variable is set.',
    );
  }
}
