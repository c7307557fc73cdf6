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
  ) {
    super(`${answered} of ${masters} masters answered; ${needed} are needed`);
    this.name = 'QuorumShortfall';
  }
}
