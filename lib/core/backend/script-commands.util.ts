import type { Cluster, Redis } from 'ioredis';
import type { ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';

/** The command a script announces releases with: SPUBLISH on a Cluster (to the slot's shard only). */
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

/**
 * A Lua command of a primitive driver.
 * @internal
 */
export interface ScriptDefinition {
  /** Its name on the client, between the `redisLock` prefix and the version: `FairAcquire`. */
  readonly name: string;
  /** The script, or a function of the command that publishes its wakeups. */
  readonly lua: string | ((publish: PublishCommand) => string);
  /** The number of keys; left out, the caller passes it first. */
  readonly numberOfKeys?: number;
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
  const methods = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const scripts: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [method, definition] of Object.entries<ScriptDefinition>(definitions)) {
    const { name, lua, numberOfKeys } = definition;
    const publishes = typeof lua === 'function';
    const command = `redisLock${name}${publishes && cluster ? 'Sharded' : ''}V2`;
    if (!names.has(command)) {
      const text = publishes ? lua(cluster ? 'SPUBLISH' : 'PUBLISH') : lua;
      client.defineCommand(
        command,
        numberOfKeys === undefined ? { lua: text } : { lua: text, numberOfKeys },
      );
      names.add(command);
    }
    scripts[method] = (...args) => methods[command]!(...args);
  }
  return scripts as T;
}

/** Leases per EVALSHA when renewing: big enough to batch, small enough not to stall Redis. */
const EXTEND_BATCH = 128;

/** How a backend keeps to the slot rules of its server (see RedisBackend). @internal */
export interface SlotRules {
  readonly splitsBySlot: boolean;
  keepingSlotRules<T>(run: () => Promise<T>): Promise<T>;
}

/**
 * Renews many leases with a script that takes a batch: up to 128 per call on one server; one
 * per call where a script may only touch one slot (a Cluster: the client routes each to its
 * shard, and they are written without waiting for each other).
 * @internal
 */
export function extendInBatches(
  requests: readonly ExtendRequest[],
  slots: SlotRules,
  send: (batch: readonly ExtendRequest[]) => Promise<number[]>,
): Promise<OwnedResult[]> {
  return slots.keepingSlotRules(async () => {
    const size = slots.splitsBySlot ? 1 : EXTEND_BATCH;
    const batches: Promise<number[]>[] = [];
    for (let start = 0; start < requests.length; start += size) {
      batches.push(send(requests.slice(start, start + size)));
    }
    return (await Promise.all(batches)).flat().map((code) => toOwned(Number(code)));
  });
}
