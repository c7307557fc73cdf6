/**
 * An acquire attempt not sent to a master: the master had not answered an earlier command of the
 * same caller, which could have run after the attempt and undone its grant, before the round
 * ended.
 * @internal
 */
export class StillAnswering extends Error {
  override readonly name = 'StillAnswering';

  constructor() {
    super(
      'not sent: this master had not answered the previous command of the same caller before ' +
        'the attempt ended',
    );
  }
}

/**
 * The commands sent to one master and not answered yet, counted per token (per caller).
 *
 * A client does not always run commands in the order it was given them. A master that lost its
 * scripts (a restart without persistence, a failover) answers a command resent after a
 * reconnect with NOSCRIPT, and the EVAL the client sends in its place reaches the master after
 * commands sent since. When that late command is the give-back of a refused attempt, it deletes
 * the grant of the caller's next attempt, made with the same token: the caller would count a
 * master that no longer holds its lock, and another caller could take a majority beside it. An
 * attempt is sent to a master once that master answered everything the caller sent it before.
 * @internal
 */
export class UnansweredCommands {
  private readonly counts = new Map<string, number>();
  /** Settles once a token has nothing unanswered left: one per token, however many wait. */
  private readonly waiting = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  /** Whether a command carrying `token` was sent to this master and is not answered yet. */
  has(token: string): boolean {
    return this.counts.has(token);
  }

  /**
   * Counts `command` as unanswered until it settles (an answer, an error) and returns it.
   * @param tokens the caller's token, or every token a batched command (renewals) carries
   */
  track<T>(tokens: string | readonly string[], command: Promise<T>): Promise<T> {
    const list = typeof tokens === 'string' ? [tokens] : tokens;
    for (const token of list) this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    const answered = (): void => {
      for (const token of list) {
        const left = this.counts.get(token)! - 1;
        if (left > 0) {
          this.counts.set(token, left);
          continue;
        }
        this.counts.delete(token);
        this.waiting.get(token)?.resolve();
        this.waiting.delete(token);
      }
    };
    command.then(answered, answered);
    return command;
  }

  /** Resolves once nothing carrying `token` is unanswered (at once if nothing is). */
  idle(token: string): Promise<void> {
    if (!this.counts.has(token)) return Promise.resolve();
    let waiting = this.waiting.get(token);
    if (!waiting) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((done) => (resolve = done));
      waiting = { promise, resolve };
      this.waiting.set(token, waiting);
    }
    return waiting.promise;
  }
}
