/**
 * One term of a leader: from its election to the end of its leadership.
 * @publicApi
 */
export interface LeaderTerm {
  /** The name of the election (the key of its leader lock). */
  readonly name: string;
  /**
   * The fencing token of the term's leader lock: larger for every later term, whichever
   * candidate wins it. It marks what a leader writes, so storage can refuse an older term.
   */
  readonly fencingToken: number;
  /** Aborts when the term ends (see `LeaderElectionOptions.onElected`). */
  readonly signal: AbortSignal;
}
