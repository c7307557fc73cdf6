import type { WakeupTransport } from '../../backend/lock-backend.interface.js';
import type { ScriptDefinition } from '../script-registry.js';

/** An argument of a Redis command as the engine sends it. */
export type CommandArgument = string | number;

/**
 * One server as the health probe and SCAN reach it: a standalone or Sentinel-followed master,
 * or one master of a Cluster.
 * @internal
 */
export interface ServerConnection {
  /** How operators know the server: `host:port`, its socket, or `sentinel:<master name>`. */
  readonly label: string;
  /** A slot this server serves, on a Cluster (a master only accepts keys of its own slots). */
  readonly slot?: number;
  /** Why a command would only wait for a reconnect now, or `undefined` when it can be sent. */
  down(): string | undefined;
  /** Sends one command to this server and resolves to its reply (errors reject). */
  command(args: readonly CommandArgument[]): Promise<unknown>;
}

/**
 * The few things the engine asks of a Redis client, whatever library made it: scripts (EVALSHA
 * with an EVAL fallback), the acquire script and `WAIT` on one connection, the servers behind
 * the client (probe, SCAN), a pub/sub connection for wakeups, and whether the client can send.
 * One adapter per client family (see ioredis-connection.ts and node-redis-connection.ts);
 * `toLockConnection()` tells which a client object is.
 * @internal
 */
export interface LockConnection {
  /** The client library, for messages: `ioredis` (iovalkey too) or `node-redis`. */
  readonly family: 'ioredis' | 'node-redis';
  /** The client object the adapter wraps (two adapters of one client are one connection). */
  readonly client: object;
  readonly topology: 'standalone' | 'sentinel' | 'cluster';
  /** Whether the client routes commands to a Cluster's masters (scripts then keep to one slot). */
  readonly cluster: boolean;
  /** The prefix the client itself puts in front of every key (ioredis `keyPrefix`), or ''. */
  readonly keyPrefix: string;
  /**
   * Whether the client may send a command again after the connection it was written to failed
   * without a reply (so Redis can run it twice): ioredis does after a reconnect unless
   * `autoResendUnfulfilledCommands` is false, an ioredis Cluster always can (it retries a command
   * whose node connection closed), node-redis's Sentinel client retries on the new master;
   * node-redis on one server or a Cluster rejects such a command instead. Releases leave a mark
   * for a second run to find only when this is true (see release-mark.lua.ts).
   */
  readonly resendsUnanswered: boolean;
  /**
   * The scripts of a primitive as functions, defined once per client. Each function takes the
   * keys then the arguments (`numberOfKeys` of the definition), or the number of keys first.
   */
  defineScripts<T extends object>(definitions: { readonly [K in keyof T]: ScriptDefinition }): T;
  /**
   * One script as EVALSHA, sent whole (EVAL) only when the server does not know it yet, without
   * defining anything on the client (for code outside the engine's drivers).
   */
  runScript(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
  ): Promise<unknown>;
  /**
   * A script and `WAIT replicas timeout` on the same connection, in one round trip, so the
   * `WAIT` counts the replicas that have the script's writes. `keys` route it on a Cluster.
   * Resolves to the script's reply and the number of replicas that acknowledged.
   */
  scriptThenWait(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
    wait: { readonly replicas: number; readonly timeout: number },
  ): Promise<[unknown, number]>;
  /** The masters behind the client (one unless a Cluster), for the probe and SCAN. */
  servers(): Promise<readonly ServerConnection[]>;
  /** Why the client cannot send commands now (a sentence naming its state), or `undefined`. */
  unreachable(): string | undefined;
  /** Whether the client was closed for good (by its owner). */
  isClosed(): boolean;
  /** A new pub/sub connection made from this client, which the transport closes itself. */
  openWakeupTransport(): WakeupTransport;
  /** Pub/sub over this very connection, which the user gave as `subscriber` and still owns. */
  borrowWakeupTransport(): WakeupTransport;
}
