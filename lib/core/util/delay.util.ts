/**
 * One step of jittered exponential backoff: a random wait between half the delay and the whole
 * delay, so that many waiters do not poll in step.
 * @internal
 */
export function jittered(delay: number): number {
  return Math.ceil(delay / 2 + Math.random() * (delay / 2));
}
