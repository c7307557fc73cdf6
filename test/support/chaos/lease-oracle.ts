import type { FaultRecord, LeaseRecord, RestartRecord, Violation } from './history.js';
import type { RedisCommandRecord } from './redis-history.js';

/** What Redis ran on a key between two machine times (for reports), when it was recorded. */
export type RedisLog = (key: string, from: number, to: number) => readonly RedisCommandRecord[];

/** A stretch of time during which a lease's holder believed it held the lease. */
export interface Belief {
  readonly lease: LeaseRecord;
  readonly start: number;
  readonly end: number;
}

/**
 * The instants at which the holder believed it held the lease (isHeld true), from its
 * observations: between two observations the belief lasts until the earlier one's `until`.
 */
export function beliefIntervals(lease: LeaseRecord): Array<[number, number]> {
  const intervals: Array<[number, number]> = [];
  const observations = lease.observations;
  for (let i = 0; i < observations.length; i++) {
    const [at, until] = observations[i]!;
    const next = observations[i + 1]?.[0] ?? Infinity;
    const end = Math.min(until, next);
    if (end <= at) continue;
    const last = intervals[intervals.length - 1];
    if (last && last[1] >= at) last[1] = Math.max(last[1], end);
    else intervals.push([at, end]);
  }
  return intervals;
}

/**
 * Whether Redis's own history allows two leases of `key` to overlap (or their fencing tokens to
 * come out of order): a restart forgot one of them (it was in Redis when the server was killed)
 * and the other was granted by the new server (not in Redis then, and believed only after
 * writes were paused). Either may be the one believed first: a lock handed to a waiter before a
 * restart can reach that waiter after the restart, when the new server already granted the key
 * to someone else.
 */
export function forgottenByRestart(
  key: string,
  a: LeaseRecord,
  aStart: number,
  b: LeaseRecord,
  bStart: number,
  restarts: readonly RestartRecord[],
): boolean {
  return restarts.some((restart) => {
    const aForgotten = restart.held.includes(`${key}\n${a.token}`);
    const bForgotten = restart.held.includes(`${key}\n${b.token}`);
    if (aForgotten === bForgotten) return false;
    return (aForgotten ? bStart : aStart) > restart.pausedAt;
  });
}

export function describeLease(lease: LeaseRecord): string {
  return (
    `${lease.id} (${lease.via}, process ${lease.process}, manager ${lease.manager}, ` +
    `${lease.permit ? `weight ${lease.permit.weight}` : `fencing ${lease.fencingToken}`}, ttl ${lease.ttl}${lease.autoExtend ? ', autoExtend' : ''}` +
    `${lease.end ? `, ended: ${lease.end}` : ''})`
  );
}

/** A lease's story, relative to `from`: what its holder believed and did. */
export function storyOf(lease: LeaseRecord, from: number): string {
  const rel = (at: number): string => `${(at - from).toFixed(1)}`;
  const beliefs = lease.observations.map(
    ([at, until]) => `${rel(at)}: ${until > at ? `held until ${rel(until)}` : 'not held'}`,
  );
  const notes = lease.notes.map(([at, note]) => `${rel(at)}: ${note}`);
  return [...beliefs.map((line) => ['b', line]), ...notes.map((line) => ['n', line])]
    .map(([, line]) => line!)
    .sort((a, b) => parseFloat(a) - parseFloat(b))
    .join('; ');
}

/** Redis's own record of a key around `at`, tokens named by the leases they belong to. */
export function redisStoryOf(
  log: RedisLog | undefined,
  key: string,
  at: number,
  holders: readonly LeaseRecord[],
  leases: readonly LeaseRecord[],
  /** Commands that cannot change the key unless one of `holders` sent them. */
  noise = /^(acquire-script|subscribe|unsubscribe|scan|hget|pttl|exists)$/,
  /** What `at` is, in the report. */
  moment = 'the second grant',
  /** How far back the story goes, in ms. */
  before = 800,
): string {
  if (!log) return '';
  // What the holders sent, and whatever else could change the key (not others' denied acquire
  // attempts, subscriptions and reads).
  const records = log(key, at - before, at + 50).filter(
    (record) =>
      holders.some((lease) => record.args.includes(lease.token)) || !noise.test(record.name),
  );
  if (records.length === 0) return `\n    Redis ran nothing on this key in the ${before} ms before`;
  const names = (arg: string): string => {
    const lease = arg.length >= 16 ? leases.find((record) => record.token === arg) : undefined;
    return lease ? `<${lease.id}>` : arg.length > 40 ? `<${arg.length} bytes>` : arg;
  };
  return (
    `\n    Redis, ms from ${moment}: ` +
    records
      .map(
        (record) =>
          `${(record.at - at).toFixed(1)}: ${record.name} ${record.args.map(names).join(' ')}`,
      )
      .join('; ')
  );
}

export function faultsAround(faults: readonly FaultRecord[], from: number, to: number): string {
  const near = faults.filter((fault) => fault.at >= from - 1_000 && fault.at <= to + 100);
  if (near.length === 0) return 'no fault within 1 s before';
  return near
    .slice(-6)
    .map((fault) => `${fault.kind} ${Math.round(fault.at - from)} ms (${fault.detail})`)
    .join('; ');
}

/**
 * Judges a round's history of locks: no two leases of one key believed held at one instant
 * unless a restart made Redis forget the first, and fencing tokens strictly increase in grant
 * order. Semaphore permits are judged by permit-oracle.ts.
 */
export function judgeHistory(
  leases: readonly LeaseRecord[],
  restarts: readonly RestartRecord[],
  faults: readonly FaultRecord[],
  origin: number,
  redisLog?: RedisLog,
): Violation[] {
  const violations: Violation[] = [];
  const byKey = new Map<string, Belief[]>();
  const intervalsOf = new Map<LeaseRecord, Array<[number, number]>>();
  for (const lease of leases) {
    if (lease.permit) continue;
    const intervals = beliefIntervals(lease);
    intervalsOf.set(lease, intervals);
    for (const key of lease.keys) {
      let beliefs = byKey.get(key);
      if (!beliefs) byKey.set(key, (beliefs = []));
      for (const [start, end] of intervals) beliefs.push({ lease, start, end });
    }
  }

  const reported = new Set<string>();
  for (const [key, beliefs] of byKey) {
    beliefs.sort((a, b) => a.start - b.start);
    let active: Belief[] = [];
    for (const belief of beliefs) {
      active = active.filter((other) => other.end > belief.start);
      for (const other of active) {
        if (other.lease === belief.lease) continue;
        const pair = `${other.lease.id}|${belief.lease.id}|${key}`;
        if (reported.has(pair)) continue;
        const otherStart = intervalsOf.get(other.lease)![0]![0];
        if (
          forgottenByRestart(key, other.lease, otherStart, belief.lease, belief.start, restarts)
        ) {
          continue;
        }
        reported.add(pair);
        const overlap = Math.min(other.end, belief.end) - belief.start;
        violations.push({
          kind: 'overlap',
          at: belief.start,
          message:
            `two holders of "${key}" at once for ${overlap.toFixed(1)} ms, ` +
            `${(belief.start - origin).toFixed(0)} ms into the round: ` +
            `${describeLease(other.lease)} believed it held the lock until ` +
            `${(other.end - origin).toFixed(0)} ms, and ${describeLease(belief.lease)} got it at ` +
            `${(belief.start - origin).toFixed(0)} ms. Faults: ${faultsAround(
              faults,
              belief.start,
              belief.start,
            )}\n    story of ${other.lease.id}, ms from the second grant: ${storyOf(other.lease, belief.start)}` +
            `\n    story of ${belief.lease.id}: ${storyOf(belief.lease, belief.start)}` +
            redisStoryOf(redisLog, key, belief.start, [other.lease, belief.lease], leases),
        });
      }
      active.push(belief);
    }

    // Fencing: in the order holders started believing, which is grant order while exclusion
    // holds; pairs that overlapped are reported above.
    const holders = [...new Set(beliefs.map((belief) => belief.lease))];
    for (let i = 1; i < holders.length; i++) {
      const previous = holders[i - 1]!;
      const current = holders[i]!;
      if (current.fencingToken > previous.fencingToken) continue;
      const previousEnd = intervalsOf.get(previous)!.at(-1)![1];
      const previousStart = intervalsOf.get(previous)![0]![0];
      const currentStart = intervalsOf.get(current)![0]![0];
      if (previousEnd > currentStart) continue;
      if (forgottenByRestart(key, previous, previousStart, current, currentStart, restarts)) {
        continue;
      }
      violations.push({
        kind: 'fencing',
        at: currentStart,
        message:
          `fencing token of "${key}" did not increase: ${describeLease(current)} was granted after ` +
          `${describeLease(previous)}`,
      });
    }
  }
  return violations;
}
