import type { FaultRecord, LeaseRecord, RestartRecord, Violation } from './history.js';
import {
  type Belief,
  beliefIntervals,
  describeLease,
  faultsAround,
  forgottenByRestart,
  type RedisLog,
  redisStoryOf,
  storyOf,
} from './lease-oracle.js';

/**
 * Reads and subscriptions, in Redis's story of a semaphore: they change nothing. Every script
 * stays, others' attempts included: from outside, one that took permits or a place in the queue
 * looks like one that found too few free.
 */
const PERMIT_NOISE =
  /^(subscribe|unsubscribe|ssubscribe|sunsubscribe|scan|type|zrange|zrangebyscore|zscore|pttl|exists|hget|hgetall)$/;

/**
 * Judges a round's history of semaphore permits: at no instant do the handles that believe they
 * hold permits of one semaphore hold more than its `permits` in total (the sum of their weights),
 * unless Redis's own history says they could not all have been counted by one server. That is the
 * rule the lock oracle applies to pairs (lease-oracle.ts), pair by pair: two holders could not
 * have been counted together when a restart made Redis forget exactly one of them, and the other
 * started believing after that restart paused writes. Only a set of holders every two of which
 * could have been counted together must fit in the permits.
 */
export function judgePermits(
  leases: readonly LeaseRecord[],
  restarts: readonly RestartRecord[],
  faults: readonly FaultRecord[],
  origin: number,
  redisLog?: RedisLog,
): Violation[] {
  const violations: Violation[] = [];
  const byKey = new Map<string, Belief[]>();
  const firstStart = new Map<LeaseRecord, number>();
  for (const lease of leases) {
    if (!lease.permit) continue;
    const intervals = beliefIntervals(lease);
    if (intervals.length === 0) continue;
    firstStart.set(lease, intervals[0]![0]);
    for (const key of lease.keys) {
      let beliefs = byKey.get(key);
      if (!beliefs) byKey.set(key, (beliefs = []));
      for (const [start, end] of intervals) beliefs.push({ lease, start, end });
    }
  }

  for (const [key, beliefs] of byKey) {
    beliefs.sort((a, b) => a.start - b.start);
    // Every caller of a key uses one limit (the actors' configuration); the smallest is the
    // strictest reading should they ever disagree.
    const permits = Math.min(...beliefs.map((belief) => belief.lease.permit!.permits));
    let active: Belief[] = [];
    for (const belief of beliefs) {
      active = active.filter((other) => other.end > belief.start && other.lease !== belief.lease);
      active.push(belief);
      if (weightOf(active) <= permits) continue;
      // As the lock oracle does: the newcomer counts from this belief, the others from their
      // first one (when they were granted).
      const startOf = (member: Belief): number =>
        member === belief ? member.start : firstStart.get(member.lease)!;
      const together = (a: Belief, b: Belief): boolean =>
        !forgottenByRestart(key, a.lease, startOf(a), b.lease, startOf(b), restarts);
      const counted = heaviestTogether(active, together);
      if (weightOf(counted) <= permits || !counted.includes(belief)) continue;
      // Reported once, by the holder that tipped it over: a set that was already too heavy
      // without this one was reported when its own last member came.
      if (weightOf(heaviestTogether(active.slice(0, -1), together)) > permits) continue;
      violations.push(overPermits(key, permits, belief, counted, faults, origin, redisLog, leases));
    }
  }
  return violations;
}

function weightOf(beliefs: readonly Belief[]): number {
  return beliefs.reduce((sum, belief) => sum + belief.lease.permit!.weight, 0);
}

/**
 * The heaviest set of holders any two of which could have been counted together. Sets are small
 * (the holders of one semaphore at one instant), and without a restart every two can: then the
 * first branch takes them all.
 */
function heaviestTogether(
  members: readonly Belief[],
  together: (a: Belief, b: Belief) => boolean,
): Belief[] {
  let best: Belief[] = [];
  let bestWeight = 0;
  const rest = members.map((_, i) => weightOf(members.slice(i)));
  const chosen: Belief[] = [];
  const grow = (from: number, weight: number): void => {
    if (weight > bestWeight) {
      best = [...chosen];
      bestWeight = weight;
    }
    for (let i = from; i < members.length; i++) {
      if (weight + rest[i]! <= bestWeight) return;
      const member = members[i]!;
      if (!chosen.every((other) => together(other, member))) continue;
      chosen.push(member);
      grow(i + 1, weight + member.lease.permit!.weight);
      chosen.pop();
    }
  };
  grow(0, 0);
  return best;
}

function overPermits(
  key: string,
  permits: number,
  belief: Belief,
  counted: readonly Belief[],
  faults: readonly FaultRecord[],
  origin: number,
  redisLog: RedisLog | undefined,
  leases: readonly LeaseRecord[],
): Violation {
  const at = belief.start;
  const until = Math.min(...counted.map((member) => member.end));
  const holders = counted
    .map(
      (member) =>
        `${describeLease(member.lease)}, believed from ${(member.start - origin).toFixed(0)} to ${(member.end - origin).toFixed(0)} ms`,
    )
    .join('; ');
  const stories = counted
    .map(
      (member) =>
        `\n    story of ${member.lease.id}, ms from that grant: ${storyOf(member.lease, at)}`,
    )
    .join('');
  return {
    kind: 'over-permits',
    at,
    message:
      `${weightOf(counted)} permits of semaphore "${key}" (${permits} permits) held at once for ` +
      `${(until - at).toFixed(1)} ms, ${(at - origin).toFixed(0)} ms into the round, when ` +
      `${belief.lease.id} got its permits: ${holders}. Faults: ${faultsAround(faults, at, at)}` +
      stories +
      redisStoryOf(
        redisLog,
        key,
        at,
        counted.map((member) => member.lease),
        leases,
        PERMIT_NOISE,
        'that grant',
        // A semaphore's holders come and go several times in 800 ms: the story would drown.
        300,
      ),
  };
}
