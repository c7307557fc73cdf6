import type {
  LockBackend,
  RawLockInfo,
  WakeupTransport,
} from '../backend/lock-backend.interface.js';
import type { LockHealth } from '../interfaces/lock-health.interface.js';
import { quorumHealth } from '../redis/probe.util.js';
import type { QuorumMember } from './quorum-member.interface.js';
import { QuorumLockDriver } from './quorum-lock-driver.js';
import { QuorumWakeupTransport } from './quorum-wakeup-transport.js';
import { type NodeOutcome, quorumRound } from './quorum-round.util.js';
import { type QuorumShortfall, type QuorumSize, shortfallOf } from './quorum-shortfall.js';

/** However short nodeTimeout is, a SCAN page gets this long (it reads up to `count` keys). */
const SCAN_PAGE_TIMEOUT_MS = 1_000;

/**
 * Redlock: the same lock on N independent masters, held while a majority holds it (see
 * quorum-lock-driver.ts). Operators' reads and writes need a majority's answer too.
 * @internal
 */
export class QuorumBackend implements LockBackend {
  readonly quorum: number;
  readonly plain: QuorumLockDriver;
  private readonly size: QuorumSize;

  constructor(
    private readonly nodes: readonly QuorumMember[],
    private readonly nodeTimeout: number,
    owner: string,
  ) {
    this.quorum = Math.floor(nodes.length / 2) + 1;
    this.size = { masters: nodes.length, needed: this.quorum, nodeTimeout };
    this.plain = new QuorumLockDriver(nodes, this.size, owner);
  }

  private shortfall<T>(outcomes: ReadonlyArray<NodeOutcome<T>>): QuorumShortfall {
    return shortfallOf(outcomes, this.size);
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

  get followsFailover(): boolean {
    return this.nodes.some((node) => node.followsFailover);
  }

  isClosed(): boolean {
    // Closed for good once a majority can never be reached again.
    return this.nodes.filter((node) => node.isClosed()).length > this.nodes.length - this.quorum;
  }
}
