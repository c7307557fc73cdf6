/** What one master did in a round. @internal */
export type NodeOutcome<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'error'; readonly error: unknown }
  /** No answer within the node timeout (or the round was decided before it came). */
  | { readonly status: 'pending' };

/**
 * Sends one operation to every master at once and collects the outcomes, until every master
 * has answered, `decided` says the outcome cannot change any more, or `timeoutMs` has passed:
 * a dead or slow master costs at most the timeout, never the whole operation.
 *
 * Operations still pending keep running; their late failures are swallowed.
 * @internal
 */
export function quorumRound<T>(
  calls: ReadonlyArray<() => Promise<T>>,
  timeoutMs: number,
  decided: (outcomes: ReadonlyArray<NodeOutcome<T>>) => boolean = () => false,
  /** Told of each answer that arrives after the round was decided or timed out. */
  onLate?: (index: number, outcome: NodeOutcome<T>) => void,
): Promise<Array<NodeOutcome<T>>> {
  const outcomes: Array<NodeOutcome<T>> = calls.map(() => ({ status: 'pending' }));
  return new Promise((resolve) => {
    let open = calls.length;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      // A copy: outcomes that arrive later must not change what the caller decided on.
      resolve([...outcomes]);
    };
    const timer = setTimeout(finish, timeoutMs);
    calls.forEach((call, i) => {
      let pending: Promise<T>;
      try {
        pending = call();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => settle(i, { status: 'ok', value }),
        (error: unknown) => settle(i, { status: 'error', error }),
      );
    });
    function settle(i: number, outcome: NodeOutcome<T>): void {
      if (finished) {
        onLate?.(i, outcome);
        return;
      }
      outcomes[i] = outcome;
      open--;
      if (open === 0 || decided(outcomes)) finish();
    }
    if (open === 0) finish();
  });
}
