import type { Cluster, Redis } from 'ioredis';
import type { WakeupTransport } from '../../backend/lock-backend.interface.js';
import { CLUSTER_SLOTS } from '../../util/key-slot.util.js';
import type { ScriptDefinition } from '../script-registry.js';
import { IoredisWakeupTransport } from './ioredis-wakeup-transport.js';
import type {
  CommandArgument,
  LockConnection,
  ServerConnection,
} from './lock-connection.interface.js';

/** ioredis states in which a command would only wait in the offline queue (or never go). */
const DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

/** ioredis states in which a probe's command would only wait in the offline queue. */
const DISCONNECTED = new Set(['close', 'reconnecting', 'end']);

/** Commands already defined on each client (several managers and drivers may share a client). */
const defined = new WeakMap<object, Set<string>>();

/**
 * An ioredis client (5 or 6) or an iovalkey client (the ioredis fork for Valkey, with the same
 * API): `Redis` on one server or following a Sentinel master, or `Cluster`. Scripts go through
 * `defineCommand`, so a call is one EVALSHA (EVAL on the first use of each connection and after
 * a NOSCRIPT) with ioredis's own key prefix and read routing.
 * @internal
 */
export class IoredisConnection implements LockConnection {
  readonly family = 'ioredis' as const;
  readonly topology: LockConnection['topology'];
  readonly cluster: boolean;
  readonly keyPrefix: string;

  constructor(readonly client: Redis | Cluster) {
    this.cluster = (client as Cluster).isCluster === true;
    this.keyPrefix = client.options.keyPrefix ?? '';
    this.topology = this.cluster
      ? 'cluster'
      : ((client as Redis).options.sentinels?.length ?? 0) > 0
        ? 'sentinel'
        : 'standalone';
  }

  defineScripts<T extends object>(definitions: { readonly [K in keyof T]: ScriptDefinition }): T {
    const { client, cluster } = this;
    let names = defined.get(client);
    if (!names) {
      names = new Set();
      defined.set(client, names);
    }
    // defineCommand adds the commands as methods the client's type does not know.
    const methods = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const scripts: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [method, definition] of Object.entries<ScriptDefinition>(definitions)) {
      const { name, lua, numberOfKeys, readOnly } = definition;
      const publishes = typeof lua === 'function';
      // Versioned names on the client: two versions of this library sharing a client never
      // run each other's scripts.
      const command = `redisLock${name}${publishes && cluster ? 'Sharded' : ''}V2`;
      if (!names.has(command)) {
        const text = publishes ? lua(cluster ? 'SPUBLISH' : 'PUBLISH') : lua;
        client.defineCommand(command, {
          lua: text,
          ...(numberOfKeys === undefined ? {} : { numberOfKeys }),
          ...(readOnly ? { readOnly } : {}),
        });
        names.add(command);
      }
      scripts[method] = (...args) => methods[command]!(...args);
    }
    return scripts as T;
  }

  async runScript(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
  ): Promise<unknown> {
    try {
      return await this.client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.client.eval(lua, keys.length, ...keys, ...args);
    }
  }

  async scriptThenWait(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
    wait: { readonly replicas: number; readonly timeout: number },
  ): Promise<[unknown, number]> {
    // EVALSHA in a pipeline rather than a defined command, which would resend a NOSCRIPT
    // script outside the pipeline, after the WAIT.
    const send = async (evalsha: boolean): Promise<[unknown, number]> => {
      const pipeline = this.client.pipeline();
      if (evalsha) pipeline.evalsha(sha, keys.length, ...keys, ...args);
      else pipeline.eval(lua, keys.length, ...keys, ...args);
      pipeline.wait(wait.replicas, wait.timeout);
      const results = (await pipeline.exec()) ?? [];
      const [scriptError, scriptReply] = results[0] ?? [new Error('no reply')];
      const [waitError, waitReply] = results[1] ?? [new Error('no reply')];
      if (scriptError) throw scriptError;
      if (waitError) throw waitError;
      return [scriptReply, Number(waitReply)];
    };
    try {
      return await send(true);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return send(false);
      throw error;
    }
  }

  servers(): Promise<readonly ServerConnection[]> {
    if (!this.cluster) return Promise.resolve([server(this.client as Redis)]);
    const cluster = this.client as Cluster;
    return Promise.resolve(
      cluster.nodes('master').map((master) => server(master, slotServedBy(cluster, master))),
    );
  }

  unreachable(): string | undefined {
    const { status } = this.client;
    return DOWN.has(status) ? `not connected to Redis (ioredis status "${status}")` : undefined;
  }

  isClosed(): boolean {
    return this.client.status === 'end';
  }

  openWakeupTransport(): WakeupTransport {
    if (this.cluster) {
      const connection = (this.client as Cluster).duplicate(undefined, {
        shardedSubscribers: true,
      });
      return new IoredisWakeupTransport(connection, true, true);
    }
    // Resubscribed by the transport, which handles the outcome (see IoredisWakeupTransport).
    const connection = (this.client as Redis).duplicate({ autoResubscribe: false });
    return new IoredisWakeupTransport(connection, false, true, true);
  }

  borrowWakeupTransport(): WakeupTransport {
    return new IoredisWakeupTransport(this.client, this.cluster, false);
  }
}

/** How operators know a server: `host:port`, its socket, or the Sentinel master name. */
function labelOf(client: Redis): string {
  const { options } = client;
  if (options.sentinels && options.sentinels.length > 0) return `sentinel:${options.name ?? ''}`;
  if (options.path) return options.path;
  return `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
}

function server(client: Redis, slot?: number): ServerConnection {
  return {
    label: labelOf(client),
    ...(slot === undefined ? {} : { slot }),
    down: () =>
      DISCONNECTED.has(client.status)
        ? `not connected (ioredis connection status "${client.status}")`
        : undefined,
    command: ([name, ...args]) => client.call(String(name), ...args),
  };
}

/** A slot the master serves, from the client's slot table. */
function slotServedBy(cluster: Cluster, master: Redis): number | undefined {
  const address = `${master.options.host}:${master.options.port}`;
  const table = (cluster as unknown as { slots: ReadonlyArray<readonly string[] | undefined> })
    .slots;
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    if (table[slot]?.[0] === address) return slot;
  }
  return undefined;
}
