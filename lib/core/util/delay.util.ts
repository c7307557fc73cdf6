/** How a wait ended. @internal */
export type DelayOutcome = 'elapsed' | 'aborted';

/**
 * Waits `ms` milliseconds unless `signal` aborts first (a leader candidate between campaigns).
 * Leaves no timer or listener behind.
 * @internal
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<DelayOutcome> {
  if (signal?.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve('aborted');
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve('elapsed');
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One step of jittered exponential backoff: a random wait between half the delay and the whole
 * delay, so that many waiters do not poll in step.
 * @internal
 */
export function jittered(delay: number): number {
  return Math.ceil(delay / 2 + Math.random() * (delay / 2));
}
