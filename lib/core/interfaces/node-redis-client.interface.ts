// The parts of node-redis (`redis` on npm, 5 and 6) the engine uses, described here so that
// neither the engine nor an application's type-check needs the package: it is an optional peer
// dependency. node-redis's own client types are assignable to these.

/**
 * `(message, channel)`: node-redis calls a pub/sub listener with the message first.
 * @publicApi
 */
// `any`: node-redis types the message and channel by the buffer mode (string or Buffer); the engine
// only subscribes in string mode.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NodeRedisListener = (message: any, channel: any) => void;

/** @publicApi */
export interface NodeRedisEvents {
  // `any`: node-redis types each event's listener, and only `any[]` accepts all of them.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/** @publicApi */
export interface NodeRedisLifecycle extends NodeRedisEvents {
  /** Open from `connect()` until closed, reconnecting included. */
  readonly isOpen: boolean;
  /** Connected and ready (node-redis 5's Cluster has no such flag). */
  readonly isReady?: boolean;
  connect(): Promise<unknown>;
  /** node-redis 5 and 6: waits for pending replies, then closes. */
  close?(): Promise<unknown>;
  /** node-redis 5 and 6: closes at once, pending commands fail. */
  destroy?(): unknown;
}

/** @publicApi */
export interface NodeRedisPubSub {
  subscribe(channels: string[], listener: NodeRedisListener): Promise<unknown>;
  unsubscribe(channels: string[], listener?: NodeRedisListener): Promise<unknown>;
  sSubscribe(channels: string[], listener: NodeRedisListener): Promise<unknown>;
  sUnsubscribe(channels: string[], listener?: NodeRedisListener): Promise<unknown>;
}

/**
 * A node-redis client of one server: what `createClient()` of the `redis` package (5 or 6)
 * returns, connected (`await client.connect()`) before the first lock.
 * @example
 * import { createClient } from 'redis';
 * const client = await createClient({ url: 'redis://localhost:6379' }).connect();
 * const locks = new LockManager(client);
 * @publicApi
 */
export interface NodeRedisClient extends NodeRedisLifecycle, NodeRedisPubSub {
  readonly options?: {
    readonly url?: string;
    readonly socket?: { readonly host?: string; readonly port?: number; readonly path?: string };
  };
  sendCommand(args: readonly string[]): Promise<unknown>;
  duplicate(overrides?: object): NodeRedisClient;
}

/** A node of a node-redis Cluster's `masters`. @publicApi */
export interface NodeRedisClusterNode {
  readonly host: string;
  readonly port: number;
}

/**
 * A node-redis Cluster client: what `createCluster()` returns, connected before the first lock.
 * @publicApi
 */
export interface NodeRedisCluster extends NodeRedisLifecycle, NodeRedisPubSub {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  readonly masters: readonly NodeRedisClusterNode[];
  readonly slots: ReadonlyArray<{ readonly master: NodeRedisClusterNode } | undefined>;
  nodeClient(node: NodeRedisClusterNode): Promise<NodeRedisClient>;
  duplicate(overrides?: object): NodeRedisCluster;
}

/**
 * A node-redis Sentinel client: what `createSentinel()` returns (node-redis 5 and 6), connected
 * before the first lock. Locks go to the master it follows.
 * @publicApi
 */
export interface NodeRedisSentinel extends NodeRedisLifecycle, NodeRedisPubSub {
  readonly options?: { readonly name?: string };
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** Runs `fn` on one master connection, reserved for it meanwhile. */
  use<T>(
    fn: (client: {
      sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
    }) => Promise<T>,
  ): Promise<T>;
  /** node-redis 6 (node-redis 5's Sentinel has none: it subscribes on its own pub/sub client). */
  duplicate?(overrides?: object): NodeRedisSentinel;
}

/**
 * Any node-redis client the engine takes locks on.
 * @publicApi
 */
export type NodeRedisLockClient = NodeRedisClient | NodeRedisCluster | NodeRedisSentinel;
