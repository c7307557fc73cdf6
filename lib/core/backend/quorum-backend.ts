import type { LockHealth } from '../interfaces/lock-health.interface.js';
import type {
  AcquireReply,
  ExtendRequest,
  LockBackend,
  OwnedResult,
  RawLockInfo,
  WakeupTransport,
} from './lock-backend.interface.js';
import { quorumHealth } from './probe.util.js';
import { QuorumShortfall } from './quorum-shortfall.js';
import { type NodeOutcome, quorumRound } from './quorum-round.js';
import { QuorumWakeupTransport } from './quorum-wakeup-transport.js';
import type { RedisBackend } from './redis-backend.js';
import { ReplicaShortfall } from './replica-shortfall.js';

/** However short nodeTimeout is, a SCAN page gets this long (it reads up to `count` keys). */
const SCAN_PAGE_TIMEOUT_MS = 1_000;

/**
 * Redlock: the same lock on N independent masters, held while a majority holds it.
 *
 * - Acquire sends to every master at once, bounded by `nodeTimeout` per round. With a majority
 *   of grants the largest of their fencing tokens becomes the lock's token, and the granting
 *   masters' counters are raised to it (a second round), so any later majority, which shares
 *   at least one master with this one, issues a larger token. Without a majority, the attempt
 *   is released on every master, including those that did not answer.
 * - Extend needs a majority; a master that lost the lock (restarted empty) while the holder
 *   keeps its majority gets it back (see the heal script).
 * - Release goes to every master.
 * - The manager measures validity from before the first round to after the last, so the time
 *   all rounds took is subtracted from the lock's validity.
 * @internal
 */
export class QuorumBackend implements LockBackend {
  readonly quorum: number;

  constructor(
    private readonly nodes: readonly RedisBackend[],
    private readonly nodeTimeout: number,
    private readonly owner: string,
  ) {
    this.quorum = Math.floor(nodes.length / 2) + 1;
  }

  private shortfall<T>(outcomes: ReadonlyArray<NodeOutcome<T>>, confirmed = 0): QuorumShortfall {
    const answered = outcomes.filter((o) => o.status === 'ok').length;
    const words = outcomes.map((o) => {
      if (o.status === 'pending') return 'no answer';
      if (o.status === 'error') return 'error';
      const value = o.value as unknown;
      if (typeof value === 'string') return value;
      if (typeof value === 'object' && value !== null && 'acquired' in value) {
        return (value as AcquireReply).acquired ? 'ok' : 'held';
      }
      return 'ok';
    });
    const failures = outcomes.map((o) =>
      o.status === 'error'
        ? o.error
        : o.status === 'pending'
          ? new Error(`no answer within nodeTimeout (${this.nodeTimeout} ms)`)
          : undefined,
    );
    return new QuorumShortfall(
      answered,
      this.quorum,
      this.nodes.length,
      failures.filter((f) => f !== undefined),
      confirmed,
      words,
    );
  }

  async acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
  ): Promise<AcquireReply> {
    const n = this.nodes.length;
    // Set once the lock is granted: a master answering later gets the lock's fencing token.
    const decision: { fence?: number } = {};
    const late: Array<{ node: RedisBackend; fencingToken: number }> = [];
    const outcomes = await quorumRound(
      this.nodes.map((node) => () => node.acquire(redisKeys, token, ttl, owner)),
      this.nodeTimeout,
      (sofar) => {
        let granted = 0;
        let denied = 0;
        for (const o of sofar) {
          if (o.status === 'ok' && o.value.acquired) granted++;
          else if (o.status !== 'pending') denied++;
        }
        // Decided once a majority granted, or once a majority can no longer be reached.
        return granted >= this.quorum || n - denied < this.quorum;
      },
      (i, o) => {
        if (o.status !== 'ok' || !o.value.acquired) return;
        const grant = { node: this.nodes[i]!, fencingToken: o.value.fencingToken };
        if (decision.fence === undefined) late.push(grant);
        else this.alignLateGrant(grant, redisKeys, token, decision.fence);
      },
    );

    const granted: Array<{ node: RedisBackend; fencingToken: number }> = [];
    let refusal: { holderTtl: number; blockedBy: number } | undefined;
    let answered = 0;
    let shortfall: { acknowledged: number; required: number } | undefined;
    outcomes.forEach((o, i) => {
      if (o.status !== 'ok') {
        // A master whose replicas fell short released its part: it answered, without a grant.
        if (o.status === 'error' && o.error instanceof ReplicaShortfall) answered++;
        return;
      }
      answered++;
      const reply = o.value;
      if (reply.acquired) {
        granted.push({ node: this.nodes[i]!, fencingToken: reply.fencingToken });
        if (
          reply.shortfall &&
          (!shortfall || reply.shortfall.acknowledged < shortfall.acknowledged)
        ) {
          shortfall = reply.shortfall;
        }
      } else if (!refusal || (reply.holderTtl >= 0 && reply.holderTtl < refusal.holderTtl)) {
        // The earliest expiry among the holders: a waiter should look again by then.
        refusal = { holderTtl: reply.holderTtl, blockedBy: reply.blockedBy };
      }
    });

    if (granted.length < this.quorum) {
      // Release wherever the lock may have been taken, answered or not: a late grant from a
      // slow master is released as soon as it is processed (same connection, same order).
      if (outcomes.some((o) => o.status !== 'ok' || o.value.acquired)) {
        this.releaseEverywhere(redisKeys, token);
      }
      if (answered >= this.quorum && refusal) {
        return { acquired: false, holderTtl: refusal.holderTtl, blockedBy: refusal.blockedBy };
      }
      const replica = outcomes.find(
        (o) => o.status === 'error' && o.error instanceof ReplicaShortfall,
      );
      if (replica && answered >= this.quorum) throw (replica as { error: unknown }).error;
      // A majority refused the command itself (a data key under the lock's name, ACL): that
      // is the error to report, not the count of answers.
      const rejected = outcomes.flatMap((o) =>
        o.status === 'error' && o.error instanceof Error && o.error.name === 'ReplyError'
          ? [o.error]
          : [],
      );
      if (rejected.length >= this.quorum) throw rejected[0];
      throw this.shortfall(outcomes);
    }

    const fence = Math.max(...granted.map((g) => g.fencingToken));
    const toRaise = granted.filter((g) => g.fencingToken < fence);
    if (toRaise.length > 0) {
      const raised = await quorumRound(
        toRaise.map((g) => () => g.node.raiseFence(redisKeys, token, fence)),
        this.nodeTimeout,
      );
      const confirmed =
        granted.length -
        toRaise.length +
        raised.filter((o) => o.status === 'ok' && o.value === 'ok').length;
      if (confirmed < this.quorum) {
        this.releaseEverywhere(redisKeys, token);
        if (raised.some((o) => o.status !== 'ok')) throw this.shortfall(raised);
        // Parts expired between the rounds (a ttl shorter than the round trips): try again.
        return { acquired: false, holderTtl: -1, blockedBy: 0 };
      }
    }
    decision.fence = fence;
    for (const grant of late.splice(0)) this.alignLateGrant(grant, redisKeys, token, fence);
    return shortfall
      ? { acquired: true, fencingToken: fence, shortfall }
      : { acquired: true, fencingToken: fence };
  }

  /**
   * A master that granted after the quorum was decided stores the lock's token too (its own
   * counter stays where it is if it is higher: later tokens only get larger).
   */
  private alignLateGrant(
    grant: { node: RedisBackend; fencingToken: number },
    redisKeys: readonly string[],
    token: string,
    fence: number,
  ): void {
    if (grant.fencingToken === fence) return;
    void grant.node.raiseFence(redisKeys, token, fence).catch(() => undefined);
  }

  private releaseEverywhere(redisKeys: readonly string[], token: string): void {
    for (const node of this.nodes) void node.release(redisKeys, token).catch(() => undefined);
  }

  /**
   * The result of an owner-checked operation on every master: held (`ok`) with a majority;
   * lost when a majority can no longer say `ok`; unknown (throws) when too few answered.
   */
  private verdict(outcomes: ReadonlyArray<NodeOutcome<OwnedResult>>): OwnedResult {
    let ok = 0;
    let taken = 0;
    let unknown = 0;
    for (const o of outcomes) {
      if (o.status !== 'ok') unknown++;
      else if (o.value === 'ok') ok++;
      else if (o.value === 'taken') taken++;
    }
    if (ok >= this.quorum) return 'ok';
    if (ok + unknown >= this.quorum) throw this.shortfall(outcomes, ok);
    return taken > 0 ? 'taken' : 'expired';
  }

  async release(redisKeys: readonly string[], token: string): Promise<OwnedResult> {
    const outcomes = await quorumRound(
      this.nodes.map((node) => () => node.release(redisKeys, token)),
      this.nodeTimeout,
    );
    return this.verdict(outcomes);
  }

  async extend(request: ExtendRequest): Promise<OwnedResult> {
    return (await this.extendMany([request]))[0]!;
  }

  async extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    const outcomes = await quorumRound(
      this.nodes.map((node) => () => node.extendMany(requests)),
      this.nodeTimeout,
    );
    return requests.map((request, r) => {
      const perNode = outcomes.map((o): NodeOutcome<OwnedResult> =>
        o.status === 'ok' ? { status: 'ok', value: o.value[r]! } : o,
      );
      const result = this.verdict(perNode);
      if (result === 'ok') {
        // Held by a majority: give the lock back to the masters that lost it (restarted
        // without persistence), before further restarts erode the majority.
        perNode.forEach((o, i) => {
          if (o.status === 'ok' && o.value === 'expired' && (request.mayRestore?.() ?? true)) {
            void this.nodes[i]!.heal(request, this.owner).catch(() => undefined);
          }
        });
      }
      return result;
    });
  }

  async inspect(redisKey: string): Promise<RawLockInfo> {
    const outcomes = await quorumRound(
      this.nodes.map((node) => () => node.inspect(redisKey)),
      this.nodeTimeout,
    );
    const infos = outcomes.flatMap((o) => (o.status === 'ok' ? [o.value] : []));
    if (infos.length < this.quorum) throw this.shortfall(outcomes);
    const held = infos.filter((info) => info.held);
    if (held.length < this.quorum)
      return { held: false, ttl: null, fencingToken: null, owner: null };
    return {
      held: true,
      ttl: Math.min(...held.map((info) => info.ttl ?? 0)),
      fencingToken: Math.max(...held.map((info) => info.fencingToken ?? 0)),
      owner: held[0]!.owner,
    };
  }

  async forceRelease(redisKey: string, fencingToken?: number): Promise<boolean> {
    const outcomes = await quorumRound(
      this.nodes.map((node) => () => node.forceRelease(redisKey, fencingToken)),
      this.nodeTimeout,
    );
    const answered = outcomes.filter((o) => o.status === 'ok');
    if (answered.length < this.quorum) throw this.shortfall(outcomes);
    return answered.some((o) => o.status === 'ok' && o.value);
  }

  /**
   * Every master's keys in turn (a lock held by a majority is on at least one master of any
   * majority). Fails once more masters failed to answer than a quorum can spare: the listing
   * could then miss held locks. Each page is bounded, so a frozen master cannot stall it.
   */
  async *scan(match: string, count: number): AsyncIterable<readonly string[]> {
    const outcomes: Array<NodeOutcome<unknown>> = [];
    const pageTimeout = Math.max(this.nodeTimeout, SCAN_PAGE_TIMEOUT_MS);
    for (const node of this.nodes) {
      const pages = node.scan(match, count)[Symbol.asyncIterator]();
      let outcome: NodeOutcome<unknown> = { status: 'ok', value: 'ok' };
      try {
        for (;;) {
          const [page] = await quorumRound([() => pages.next()], pageTimeout);
          if (page!.status !== 'ok') {
            outcome = page!;
            break;
          }
          if (page!.value.done) break;
          yield page!.value.value;
        }
      } finally {
        // Stops this master's scan (once a page still pending settles) when it failed or the
        // caller stopped listing.
        void pages.return?.(undefined).catch(() => undefined);
      }
      outcomes.push(outcome);
    }
    if (outcomes.filter((o) => o.status === 'ok').length < this.quorum) {
      throw this.shortfall(outcomes);
    }
  }

  async probe(timeout: number): Promise<LockHealth> {
    return quorumHealth(
      await Promise.all(this.nodes.map((node) => node.probe(timeout))),
      this.quorum,
    );
  }

  /** Semaphores, read-write locks and fair locks need one place that counts and orders. */
  primitives(): undefined {
    return undefined;
  }

  channelFor(redisKey: string): string {
    // Every master names the channel alike: the manager checks that the clients share a prefix.
    return this.nodes[0]!.channelFor(redisKey);
  }

  channelPattern(): string {
    return this.nodes[0]!.channelPattern();
  }

  createWakeupTransport(): WakeupTransport {
    return new QuorumWakeupTransport(this.nodes.map((node) => node.createWakeupTransport()));
  }

  unreachable(): string | undefined {
    const down = this.nodes.map((node) => node.unreachable()).filter((why) => why !== undefined);
    if (this.nodes.length - down.length >= this.quorum) return undefined;
    return `${down.length} of ${this.nodes.length} masters are not connected (a quorum needs ${this.quorum})`;
  }

  get attemptAllowanceMs(): number {
    return Math.max(...this.nodes.map((node) => node.attemptAllowanceMs));
  }

  get followsFailover(): boolean {
    return this.nodes.some((node) => node.followsFailover);
  }

  isClosed(): boolean {
    // Closed for good once a majority can never be reached again.
    return this.nodes.filter((node) => node.isClosed()).length > this.nodes.length - this.quorum;
  }
}
