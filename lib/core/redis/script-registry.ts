import type { Cluster, Redis } from 'ioredis';

/** The command a script announces releases with: SPUBLISH on a Cluster (to the slot's shard only). */
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

/**
 * A Lua command of a Redis driver (plain locks, fair locks, read-write locks, semaphores, and
 * the operators' commands): every script of the library is defined through this registry.
 * @internal
 */
export interface ScriptDefinition {
  /** Its name on the client, between the `redisLock` prefix and the version: `FairAcquire`. */
  readonly name: string;
  /** The script, or a function of the command that publishes its wakeups. */
  readonly lua: string | ((publish: PublishCommand) => string);
  /** The number of keys; left out, the caller passes it first. */
  readonly numberOfKeys?: number;
  /** A script that only reads (sent to replicas where the client reads from them). */
  readonly readOnly?: boolean;
}

/** Commands already defined on each client (several managers and drivers may share a client). */
const defined = new WeakMap<object, Set<string>>();

/**
 * Defines the commands of a primitive on a client, once per client (`defineCommand`: EVAL the
 * first time on each connection, EVALSHA afterwards, resent on NOSCRIPT), and returns them as
 * functions. A client is either a Cluster client or not for its whole life, so a script that
 * publishes is defined in the one variant that client needs (`…ShardedV2` on a Cluster).
 * @internal
 */
export function defineScripts<T extends object>(
  client: Redis | Cluster,
  cluster: boolean,
  definitions: { readonly [K in keyof T]: ScriptDefinition },
): T {
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
