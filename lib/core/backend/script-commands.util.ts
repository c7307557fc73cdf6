import type { Cluster, Redis } from 'ioredis';
import type { ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import { toOwned } from './owned-result.util.js';

/** Groups of commands already defined on each client (several managers may share a client). */
const defined = new WeakMap<object, Set<string>>();

/**
 * Defines a group of Lua commands on a client once (`defineCommand`: EVAL the first time on
 * each connection, EVALSHA afterwards, resent on NOSCRIPT), and returns the client typed with
 * them. A group is defined the first time a primitive that needs it is used.
 * @internal
 */
export function defineCommandsOnce<T>(
  client: Redis | Cluster,
  group: string,
  commands: Readonly<Record<string, { readonly lua: string; readonly numberOfKeys?: number }>>,
): T {
  let groups = defined.get(client);
  if (!groups) {
    groups = new Set();
    defined.set(client, groups);
  }
  if (!groups.has(group)) {
    for (const [name, command] of Object.entries(commands)) client.defineCommand(name, command);
    groups.add(group);
  }
  return client as unknown as T;
}

/** Leases per EVALSHA when renewing: big enough to batch, small enough not to stall Redis. */
const EXTEND_BATCH = 128;

/**
 * Renews many leases with a script that takes a batch: up to 128 per call on one server; one
 * per call on a Cluster, where a script may only touch one slot (the client routes each to its
 * shard, and they are written without waiting for each other).
 * @internal
 */
export async function extendInBatches(
  requests: readonly ExtendRequest[],
  cluster: boolean,
  send: (batch: readonly ExtendRequest[]) => Promise<number[]>,
): Promise<OwnedResult[]> {
  const size = cluster ? 1 : EXTEND_BATCH;
  const batches: Promise<number[]>[] = [];
  for (let start = 0; start < requests.length; start += size) {
    batches.push(send(requests.slice(start, start + size)));
  }
  return (await Promise.all(batches)).flat().map((code) => toOwned(Number(code)));
}
