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
