import type {
  AcquireReply,
  ExtendRequest,
  LeaseDriver,
  OwnedResult,
} from '../backend/lease-driver.interface.js';
import { ReplicaShortfall } from '../redis/replica-shortfall.js';
import type { QuorumMember } from './quorum-member.interface.js';
import { type NodeOutcome, quorumRound } from './quorum-round.util.js';
import { type QuorumShortfall, type QuorumSize, shortfallOf } from './quorum-shortfall.js';
import { StillAnswering, UnansweredCommands } from './unanswered-commands.js';

type MemberLocks = QuorumMember['plain'];

/** A master that granted, and the fencing token it issued. */
interface Grant {
  readonly index: number;
  readonly fencingToken: number;
}

/** What the masters answered to one acquire round, counted. */
interface Tally {
  readonly granted: Grant[];
  readonly refusal: { holderTtl: number; blockedBy: number } | undefined;
  readonly answered: number;
  readonly shortfall: { acknowledged: number; required: number } | undefined;
}

/**
 * Redlock's plain locks: the same lock on N independent masters, held while a majority holds
 * it.
 *
 * - Acquire sends to every master at once, bounded by `nodeTimeout` per round. With a majority
 *   of grants the largest of their fencing tokens becomes the lock's token, and the granting
 *   masters' counters are raised to it (a second round), so any later majority, which shares
 *   at least one master with this one, issues a larger token. Without a majority, the attempt
 *   is released on every master, including those that did not answer.
 * - Extend needs a majority; a master that lost the lock (restarted empty, or frozen past its
 *   ttl) while the holder keeps its majority gets it back as soon as it answers, even after the
 *   round (see the heal script).
 * - Release goes to every master.
 * - An attempt goes to a master once that master answered every earlier command of the same
 *   caller, which could otherwise run after it and undo its grant (see unanswered-commands.ts).
 * - The manager measures validity from before the first round to after the last, so the time
 *   all rounds took is subtracted from the lock's validity.
 * @internal
 */
export class QuorumLockDriver implements LeaseDriver {
  private readonly nodes: readonly MemberLocks[];
  /** Per master, the commands sent and not answered yet. */
  private readonly unanswered: readonly UnansweredCommands[];

  constructor(
    members: readonly QuorumMember[],
    private readonly size: QuorumSize,
    private readonly owner: string,
  ) {
    this.nodes = members.map((member) => member.plain);
    this.unanswered = members.map(() => new UnansweredCommands());
  }

  /** Sends a command of the caller `token` to master `i`, counted until it is answered. */
  private send<T>(
    i: number,
    token: string,
    command: (node: MemberLocks) => Promise<T>,
  ): Promise<T> {
    return this.unanswered[i]!.track(token, command(this.nodes[i]!));
  }

  private get quorum(): number {
    return this.size.needed;
  }

  private shortfall<T>(outcomes: ReadonlyArray<NodeOutcome<T>>, confirmed = 0): QuorumShortfall {
    return shortfallOf(outcomes, this.size, confirmed);
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
    const late: Grant[] = [];
    // Whether the round still counts answers, and the masters the attempt was sent to.
    let open = true;
    const sent = this.nodes.map(() => false);
    const attempt = (i: number): Promise<AcquireReply> => {
      // An earlier command of this caller still unanswered there could run after the attempt
      // and undo its grant: the attempt waits for its answer, and is not sent once the round
      // is over (that master then counts as one that did not answer).
      const unanswered = this.unanswered[i]!;
      if (unanswered.has(token)) return unanswered.idle(token).then(() => attempt(i));
      if (!open) return Promise.reject(new StillAnswering());
      sent[i] = true;
      return this.send(i, token, (node) => node.acquire(redisKeys, token, ttl, owner));
    };
    const outcomes = await quorumRound(
      this.nodes.map((_, i) => () => attempt(i)),
      this.size.nodeTimeout,
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
        const grant = { index: i, fencingToken: o.value.fencingToken };
        if (decision.fence === undefined) late.push(grant);
        else this.alignLateGrant(grant, redisKeys, token, decision.fence);
      },
    );
    open = false;
    const satOut = sent.map((wasSent) => !wasSent);
    const tally = this.tally(outcomes);
    if (tally.granted.length < this.quorum) {
      return this.refused(outcomes, tally, redisKeys, token, satOut);
    }
    const reply = await this.raiseToLargest(tally, redisKeys, token, satOut);
    if (!reply.acquired) return reply;
    decision.fence = reply.fencingToken;
    for (const grant of late.splice(0)) {
      this.alignLateGrant(grant, redisKeys, token, reply.fencingToken);
    }
    return reply;
  }

  private tally(outcomes: ReadonlyArray<NodeOutcome<AcquireReply>>): Tally {
    const granted: Grant[] = [];
    let refusal: Tally['refusal'];
    let answered = 0;
    let shortfall: Tally['shortfall'];
    outcomes.forEach((o, i) => {
      if (o.status !== 'ok') {
        // A master whose replicas fell short released its part: it answered, without a grant.
        if (o.status === 'error' && o.error instanceof ReplicaShortfall) answered++;
        return;
      }
      answered++;
      const reply = o.value;
      if (reply.acquired) {
        granted.push({ index: i, fencingToken: reply.fencingToken });
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
    return { granted, refusal, answered, shortfall };
  }

  /** No majority granted: gives back what was granted, and says why. */
  private refused(
    outcomes: ReadonlyArray<NodeOutcome<AcquireReply>>,
    { refusal, answered }: Tally,
    redisKeys: readonly string[],
    token: string,
    satOut: readonly boolean[],
  ): AcquireReply {
    // Release wherever the lock may have been taken, answered or not: a late grant from a
    // slow master is released as soon as it is processed (same connection, same order).
    if (outcomes.some((o, i) => !satOut[i] && (o.status !== 'ok' || o.value.acquired))) {
      this.releaseEverywhere(redisKeys, token, satOut);
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

  /** A majority granted: the largest token becomes the lock's, the other counters rise to it. */
  private async raiseToLargest(
    { granted, shortfall }: Tally,
    redisKeys: readonly string[],
    token: string,
    satOut: readonly boolean[],
  ): Promise<AcquireReply> {
    const fence = Math.max(...granted.map((g) => g.fencingToken));
    const toRaise = granted.filter((g) => g.fencingToken < fence);
    if (toRaise.length > 0) {
      const raised = await quorumRound(
        toRaise.map(
          (g) => () =>
            this.send(g.index, token, (node) => node.raiseFence(redisKeys, token, fence)),
        ),
        this.size.nodeTimeout,
      );
      const confirmed =
        granted.length -
        toRaise.length +
        raised.filter((o) => o.status === 'ok' && o.value === 'ok').length;
      if (confirmed < this.quorum) {
        this.releaseEverywhere(redisKeys, token, satOut);
        if (raised.some((o) => o.status !== 'ok')) throw this.shortfall(raised);
        // Parts expired between the rounds (a ttl shorter than the round trips): try again.
        return { acquired: false, holderTtl: -1, blockedBy: 0 };
      }
    }
    return shortfall
      ? { acquired: true, fencingToken: fence, shortfall }
      : { acquired: true, fencingToken: fence };
  }

  /**
   * A master that granted after the quorum was decided stores the lock's token too (its own
   * counter stays where it is if it is higher: later tokens only get larger).
   */
  private alignLateGrant(
    grant: Grant,
    redisKeys: readonly string[],
    token: string,
    fence: number,
  ): void {
    if (grant.fencingToken === fence) return;
    void this.send(grant.index, token, (node) => node.raiseFence(redisKeys, token, fence)).catch(
      () => undefined,
    );
  }

  /** Gives an attempt back on every master it was sent to. */
  private releaseEverywhere(
    redisKeys: readonly string[],
    token: string,
    satOut: readonly boolean[],
  ): void {
    this.nodes.forEach((_, i) => {
      if (satOut[i]) return;
      void this.send(i, token, (node) => node.release(redisKeys, token)).catch(() => undefined);
    });
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
      this.nodes.map((_, i) => () => this.send(i, token, (node) => node.release(redisKeys, token))),
      this.size.nodeTimeout,
    );
    return this.verdict(outcomes);
  }

  async extend(request: ExtendRequest): Promise<OwnedResult> {
    return (await this.extendMany([request]))[0]!;
  }

  async extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    const tokens = requests.map((request) => request.token);
    // Masters that answer after the round was decided (frozen, slow), kept until the verdicts
    // are known: one that lost a lock the holder kept is healed then, not a renewal later.
    const decided: { verdicts?: OwnedResult[] } = {};
    const late: Array<[index: number, answers: OwnedResult[]]> = [];
    const outcomes = await quorumRound(
      this.nodes.map(
        (node, i) => () => this.unanswered[i]!.track(tokens, node.extendMany(requests)),
      ),
      this.size.nodeTimeout,
      undefined,
      (i, outcome) => {
        if (outcome.status !== 'ok') return;
        if (decided.verdicts) this.healLost(requests, decided.verdicts, i, outcome.value);
        else late.push([i, outcome.value]);
      },
    );
    const verdicts = requests.map((_, r) =>
      this.verdict(
        outcomes.map((o): NodeOutcome<OwnedResult> =>
          o.status === 'ok' ? { status: 'ok', value: o.value[r]! } : o,
        ),
      ),
    );
    outcomes.forEach((o, i) => {
      if (o.status === 'ok') this.healLost(requests, verdicts, i, o.value);
    });
    decided.verdicts = verdicts;
    for (const [i, answers] of late) this.healLost(requests, verdicts, i, answers);
    return verdicts;
  }

  /**
   * Gives a lock back to master `i` where it answered that the lock was gone (restarted without
   * persistence, or its copy expired while the master was frozen and the extension waited in
   * its socket) while a majority kept it for its holder: before further restarts erode the
   * majority. Nobody else can hold it on a majority meanwhile, so recreating it takes it from no
   * one (see the heal script). Not once the holder let go of it.
   */
  private healLost(
    requests: readonly ExtendRequest[],
    verdicts: readonly OwnedResult[],
    i: number,
    answers: readonly OwnedResult[],
  ): void {
    requests.forEach((request, r) => {
      if (verdicts[r] !== 'ok' || answers[r] !== 'expired') return;
      if (!(request.mayRestore?.() ?? true)) return;
      void this.send(i, request.token, (node) => node.heal(request, this.owner)).catch(
        () => undefined,
      );
    });
  }

  channelFor(redisKey: string): string {
    // Every master names the channel alike: the manager checks that the clients share a prefix.
    return this.nodes[0]!.channelFor(redisKey);
  }

  get attemptAllowanceMs(): number {
    return Math.max(...this.nodes.map((node) => node.attemptAllowanceMs));
  }
}
