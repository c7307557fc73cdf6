import type { AcquireReply, OwnedResult } from '../../backend/lease-driver.interface.js';

/** What taking a lock slot group by slot group needs from the plain driver. @internal */
export interface SlotGroupOperations {
  /** Takes the keys of one slot in one script. */
  acquireGroup(
    keys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply>;
  /** Raises the slot's fencing counter to `fence` and stores it on the keys, if still ours. */
  raiseGroup(keys: readonly string[], token: string, fence: number): Promise<OwnedResult>;
  /** Gives back the groups already taken, ignoring failures (owner-checked, so harmless). */
  releaseQuietly(groups: readonly (readonly string[])[], token: string): Promise<void>;
}

/**
 * Takes a lock whose keys span slots, slot group after slot group, in the canonical order, so
 * that two callers wanting overlapping sets meet at the first group they share instead of each
 * holding a part the other needs. A group held by someone else rolls back the groups already
 * taken.
 * @internal
 */
export async function acquireAcrossSlots(
  ops: SlotGroupOperations,
  redisKeys: readonly string[],
  groups: readonly (readonly string[])[],
  token: string,
  ttl: number,
  owner: string,
): Promise<AcquireReply> {
  const tokens: number[] = [];
  let shortfall: { acknowledged: number; required: number } | undefined;
  let index = 0;
  try {
    for (; index < groups.length; index++) {
      const group = groups[index]!;
      const reply = await ops.acquireGroup(group, token, ttl, owner);
      if (!reply.acquired) {
        await ops.releaseQuietly(groups.slice(0, index), token);
        return {
          acquired: false,
          holderTtl: reply.holderTtl,
          blockedBy: redisKeys.indexOf(group[reply.blockedBy] ?? group[0]!),
        };
      }
      tokens.push(reply.fencingToken);
      if (
        reply.shortfall &&
        (!shortfall || reply.shortfall.acknowledged < shortfall.acknowledged)
      ) {
        shortfall = reply.shortfall;
      }
    }
  } catch (error) {
    // The group in flight may have been taken before the error: release it too.
    await ops.releaseQuietly(groups.slice(0, index + 1), token);
    throw error;
  }
  return alignFences(ops, redisKeys, groups, token, tokens, shortfall);
}

/**
 * Each slot issued its own token. The lock gets the largest, and every other slot's counter is
 * raised to it, so any later holder of any of these keys gets a larger one.
 */
async function alignFences(
  ops: SlotGroupOperations,
  redisKeys: readonly string[],
  groups: readonly (readonly string[])[],
  token: string,
  tokens: readonly number[],
  shortfall: { acknowledged: number; required: number } | undefined,
): Promise<AcquireReply> {
  const fence = Math.max(...tokens);
  let raised: OwnedResult[];
  try {
    raised = await Promise.all(
      groups.map((group, i) =>
        tokens[i]! < fence ? ops.raiseGroup(group, token, fence) : ('ok' as const),
      ),
    );
  } catch (error) {
    await ops.releaseQuietly(groups, token);
    throw error;
  }
  const lostAt = raised.findIndex((result) => result !== 'ok');
  if (lostAt !== -1) {
    // A part expired while the others were being taken (a ttl shorter than the round trips):
    // this attempt failed, the next one starts over.
    await ops.releaseQuietly(groups, token);
    return { acquired: false, holderTtl: -1, blockedBy: redisKeys.indexOf(groups[lostAt]![0]!) };
  }
  return shortfall
    ? { acquired: true, fencingToken: fence, shortfall }
    : { acquired: true, fencingToken: fence };
}
