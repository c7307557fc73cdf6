import { monotonicNow } from '../util/clock.util.js';

/** How a wait ended. @internal */
export type WaitOutcome = 'done' | 'deadline' | 'aborted' | 'closed';

/**
 * Waits for `promise`, the `deadline` (monotonic ms), the signal or an interrupt (the manager
 * closing), whichever comes first. `interruptible` is given the function that interrupts the
 * wait, and undefined once it is over.
 * @internal
 */
export function waitWithin(
  promise: Promise<void>,
  deadline: number,
  signal: AbortSignal | undefined,
  cancelled: boolean,
  interruptible: (interrupt: (() => void) | undefined) => void,
): Promise<WaitOutcome> {
  if (signal?.aborted) return Promise.resolve('aborted');
  if (cancelled) return Promise.resolve('closed');
  return new Promise((resolve) => {
    const finish = (outcome: WaitOutcome): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      interruptible(undefined);
      resolve(outcome);
    };
    const onAbort = (): void => finish('aborted');
    const timer = setTimeout(
      () => finish('deadline'),
      Math.min(Math.max(0, deadline - monotonicNow()), 2_147_483_647),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    interruptible(() => finish('closed'));
    void promise.then(() => finish('done'));
  });
}
