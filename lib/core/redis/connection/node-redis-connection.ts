import type { WakeupTransport } from '../../backend/lock-backend.interface.js';
import { digestOf, type ScriptDefinition } from '../script-registry.js';
import type {
  CommandArgument,
  LockConnection,
  ServerConnection,
} from './lock-connection.interface.js';
import type {
  NodeRedisLockClient,
  NodeRedisClient,
  NodeRedisCluster,
  NodeRedisSentinel,
} from '../../interfaces/node-redis-client.interface.js';
import { NodeRedisWakeupTransport } from './node-redis-wakeup-transport.js';
import { isNoScript, normalizeReplyError } from './reply-error.js';

type Send = (firstKey: string | undefined, readOnly: boolean, args: string[]) => Promise<unknown>;

/**
 * A node-redis client (the `redis` package, 5 and 6, RESP2 or RESP3): `createClient()`,
 * `createCluster()` or `createSentinel()`. Commands go through `sendCommand` (the one API every
 * shape shares, with its own routing: by first key on a Cluster, to the master under
 * Sentinel); scripts are EVALSHA, resent as EVAL after a NOSCRIPT. node-redis has no key prefix.
 * @internal
 */
export class NodeRedisConnection implements LockConnection {
  readonly family = 'node-redis' as const;
  readonly cluster: boolean;
  readonly keyPrefix = '';
  /** Only its Sentinel client sends a command again (on the new master) after a failure. */
  readonly resendsUnanswered: boolean;
  private readonly send: Send;
  /** Whether the client was seen open: a client closed afterwards is closed for good. */
  private seenOpen: boolean;
  /**
   * Whether the client lost its connection and has not got it back: commands would wait in
   * its offline queue meanwhile. A client still making its first connection is not down.
   */
  private reconnecting = false;

  constructor(
    readonly client: NodeRedisLockClient,
    readonly topology: LockConnection['topology'],
  ) {
    this.cluster = topology === 'cluster';
    this.resendsUnanswered = topology === 'sentinel';
    this.seenOpen = client.isOpen;
    // One pair of listeners per client (adapters are shared per client object); a Cluster
    // reconnects node by node and is only down when closed.
    if (topology !== 'cluster') {
      client.on('reconnecting', () => (this.reconnecting = true));
      client.on('ready', () => (this.reconnecting = false));
    }
    if (topology === 'cluster') {
      const cluster = client as NodeRedisCluster;
      this.send = (firstKey, readOnly, args) => cluster.sendCommand(firstKey, readOnly, args);
    } else if (topology === 'sentinel') {
      const sentinel = client as NodeRedisSentinel;
      this.send = (_firstKey, readOnly, args) => sentinel.sendCommand(readOnly, args);
    } else {
      const single = client as NodeRedisClient;
      this.send = (_firstKey, _readOnly, args) => single.sendCommand(args);
    }
  }

  defineScripts<T extends object>(definitions: { readonly [K in keyof T]: ScriptDefinition }): T {
    const scripts: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [method, definition] of Object.entries<ScriptDefinition>(definitions)) {
      const { lua, numberOfKeys, readOnly = false } = definition;
      const text = typeof lua === 'function' ? lua(this.cluster ? 'SPUBLISH' : 'PUBLISH') : lua;
      const sha = digestOf(text, definition, this.cluster);
      scripts[method] = (...args) => {
        // EVALSHA sha numkeys key... arg...: node-redis takes strings only.
        const command = new Array<string>(args.length + (numberOfKeys === undefined ? 2 : 3));
        command[0] = 'EVALSHA';
        command[1] = sha;
        let at = 2;
        if (numberOfKeys !== undefined) command[at++] = String(numberOfKeys);
        for (const arg of args) command[at++] = String(arg);
        return this.evaluate(text, command, readOnly);
      };
    }
    return scripts as T;
  }

  /** EVALSHA, and EVAL when the server does not have the script (first use, restart, flush). */
  private async evaluate(lua: string, command: string[], readOnly: boolean): Promise<unknown> {
    const firstKey = command[2] === '0' ? undefined : command[3];
    try {
      return await this.send(firstKey, readOnly, command);
    } catch (error) {
      if (!isNoScript(error)) {
        throw normalizeReplyError(error);
      }
    }
    command[0] = 'EVAL';
    command[1] = lua;
    try {
      return await this.send(firstKey, readOnly, command);
    } catch (error) {
      throw normalizeReplyError(error);
    }
  }

  runScript(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
  ): Promise<unknown> {
    const command = ['EVALSHA', sha, String(keys.length), ...keys, ...args.map(String)];
    return this.evaluate(lua, command, false);
  }

  async scriptThenWait(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
    wait: { readonly replicas: number; readonly timeout: number },
  ): Promise<[unknown, number]> {
    const waitCommand = ['WAIT', String(wait.replicas), String(wait.timeout)];
    const scriptCommand = (evalsha: boolean): string[] => [
      evalsha ? 'EVALSHA' : 'EVAL',
      evalsha ? sha : lua,
      String(keys.length),
      ...keys,
      ...args.map(String),
    ];
    // Both sent in the same tick go out together, in order, on one connection: the WAIT counts
    // the replicas that have the script's writes.
    const both = (evalsha: boolean): Promise<[unknown, unknown]> => {
      if (this.topology === 'sentinel') {
        return (this.client as NodeRedisSentinel).use((master) =>
          Promise.all([
            master.sendCommand(false, scriptCommand(evalsha)),
            master.sendCommand(false, waitCommand),
          ]),
        );
      }
      return Promise.all([
        this.send(keys[0], false, scriptCommand(evalsha)),
        this.send(keys[0], false, waitCommand),
      ]);
    };
    try {
      const [reply, acknowledged] = await both(true).catch(async (error: unknown) => {
        if (isNoScript(error)) return both(false);
        throw error;
      });
      return [reply, Number(acknowledged)];
    } catch (error) {
      throw normalizeReplyError(error);
    }
  }

  async servers(): Promise<readonly ServerConnection[]> {
    if (this.topology === 'standalone') {
      const client = this.client as NodeRedisClient;
      const { socket, url } = client.options ?? {};
      const label = socket?.path ?? (socket?.host ? `${socket.host}:${socket.port ?? 6379}` : url);
      return [this.server(label ?? 'localhost:6379', client, (args) => client.sendCommand(args))];
    }
    if (this.topology === 'sentinel') {
      const sentinel = this.client as NodeRedisSentinel;
      return [
        this.server(`sentinel:${sentinel.options?.name ?? ''}`, sentinel, (args) =>
          sentinel.sendCommand(false, args),
        ),
      ];
    }
    const cluster = this.client as NodeRedisCluster;
    return Promise.all(
      cluster.masters.map(async (master) => {
        const node = await cluster.nodeClient(master);
        const slot = cluster.slots.findIndex((shard) => shard?.master === master);
        return this.server(
          `${master.host}:${master.port}`,
          node,
          (args) => node.sendCommand(args),
          slot < 0 ? undefined : slot,
        );
      }),
    );
  }

  private server(
    label: string,
    client: { readonly isOpen: boolean; readonly isReady?: boolean },
    send: (args: string[]) => Promise<unknown>,
    slot?: number,
  ): ServerConnection {
    return {
      label,
      ...(slot === undefined ? {} : { slot }),
      down: () => (isReady(client) ? undefined : `not connected (node-redis ${stateOf(client)})`),
      command: (args) =>
        send(args.map(String)).catch((error: unknown) => {
          throw normalizeReplyError(error);
        }),
    };
  }

  unreachable(): string | undefined {
    const { client } = this;
    if (client.isOpen) {
      this.seenOpen = true;
      return this.reconnecting && !isReady(client)
        ? 'not connected to Redis (node-redis client reconnecting)'
        : undefined;
    }
    return this.seenOpen
      ? 'the node-redis client was closed'
      : 'the node-redis client is not open: call `await client.connect()` before using it for locks';
  }

  isClosed(): boolean {
    if (this.client.isOpen) this.seenOpen = true;
    return this.seenOpen && !this.client.isOpen;
  }

  openWakeupTransport(): WakeupTransport {
    // A Sentinel client of node-redis 5 cannot be duplicated; it subscribes on a pub/sub
    // connection of its own, apart from its commands, so the transport borrows it.
    if (!this.client.duplicate) return this.borrowWakeupTransport();
    const connection = this.client.duplicate();
    return new NodeRedisWakeupTransport(connection, this.cluster, true);
  }

  borrowWakeupTransport(): WakeupTransport {
    return new NodeRedisWakeupTransport(this.client, this.cluster, false);
  }
}

/** Whether the client can send now (a node-redis 5 Cluster only says whether it is open). */
export function isReady(client: { readonly isOpen: boolean; readonly isReady?: boolean }): boolean {
  return client.isReady ?? client.isOpen;
}

function stateOf(client: { readonly isOpen: boolean; readonly isReady?: boolean }): string {
  if (isReady(client)) return 'client ready';
  return client.isOpen ? 'client reconnecting' : 'client closed';
}
