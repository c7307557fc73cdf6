import type { AcquireReply } from '../backend/lease-driver.interface.js';
import type { NodeOutcome } from './quorum-round.util.js';

/**
 * Thrown by the quorum backend when too few masters answered; the manager turns it into a
 * `LockQuorumError` naming the lock.
 * @internal
 */
export class QuorumShortfall extends Error {
  constructor(
    readonly answered: number,
    readonly needed: number,
    readonly masters: number,
    /** What the masters that did not answer reported (errors), for `cause`. */
    readonly failures: readonly unknown[],
    /** Masters that confirmed (granted, still held): below `needed` although enough answered. */
    readonly confirmed: number,
    /** One word per master, in the order given: `ok`, `expired`, `taken`, `held`, `error`, `no answer`. */
    readonly outcomes: readonly string[],
  ) {
    super(`${answered} of ${masters} masters answered; ${needed} are needed`);
    this.name = 'QuorumShortfall';
  }
}

/** How many masters a quorum has, how many it needs, and how long it waits for one. @internal */
export interface QuorumSize {
  readonly masters: number;
  readonly needed: number;
  /** ms */
  readonly nodeTimeout: number;
}

/**
 * The shortfall of a round: how many masters answered, and one word and failure per master.
 * @internal
 */
export function shortfallOf<T>(
  outcomes: ReadonlyArray<NodeOutcome<T>>,
  quorum: QuorumSize,
  confirmed = 0,
): QuorumShortfall {
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
        ? new Error(`no answer within nodeTimeout (${quorum.nodeTimeout} ms)`)
        : undefined,
  );
  return new QuorumShortfall(
    answered,
    quorum.needed,
    quorum.masters,
    failures.filter((f) => f !== undefined),
    confirmed,
    words,
  );
}
