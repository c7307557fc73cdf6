import { toOwned } from '../backend/owned-result.util.js';
import type { ExtendRequest, OwnedResult } from '../backend/lease-driver.interface.js';
import type { RedisKeyspace } from './redis-keyspace.js';

/** Leases per EVALSHA when renewing: big enough to batch, small enough not to stall Redis. */
const EXTEND_BATCH = 128;

/**
 * Renews many leases with a script that takes a batch: up to 128 per call on one server; one
 * per call where a script may only touch one slot (a Cluster: the client routes each to its
 * shard, and they are written without waiting for each other). `one` renews a single lease
 * there when a batch of one would not do (a plain lock whose keys span slots).
 * @internal
 */
export function extendInBatches(
  requests: readonly ExtendRequest[],
  keyspace: Pick<RedisKeyspace, 'splitsBySlot' | 'keepingSlotRules'>,
  send: (batch: readonly ExtendRequest[]) => Promise<number[]>,
  one?: (request: ExtendRequest) => Promise<OwnedResult>,
): Promise<OwnedResult[]> {
  if (one && keyspace.splitsBySlot) return Promise.all(requests.map(one));
  return keyspace.keepingSlotRules(async () => {
    if (one && keyspace.splitsBySlot) return Promise.all(requests.map(one));
    const size = keyspace.splitsBySlot ? 1 : EXTEND_BATCH;
    const batches: Promise<number[]>[] = [];
    for (let start = 0; start < requests.length; start += size) {
      batches.push(send(requests.slice(start, start + size)));
    }
    return (await Promise.all(batches)).flat().map((code) => toOwned(Number(code)));
  });
}

/** The main key of each lease of a batch, as the batch scripts read KEYS. @internal */
export function mainKeys(batch: readonly ExtendRequest[]): string[] {
  return batch.map((r) => r.redisKeys[0]!);
}

/** Each lease's token and new ttl, lease after lease, as extend-each.lua.ts reads ARGV. @internal */
export function tokensAndTtls(batch: readonly ExtendRequest[]): Array<string | number> {
  return batch.flatMap((r) => [r.token, r.ttl]);
}
