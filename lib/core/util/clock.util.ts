/**
 * Monotonic milliseconds: validity windows are measured with this, never with Date.now(), so a
 * wall-clock step cannot stretch a lock's validity.
 *
 * Read through the global `performance` at each call (not a binding imported once), so test
 * fake timers that replace it (Jest's and Sinon's do by default) move the engine's time along.
 * @internal
 */
export const monotonicNow: () => number = () => globalThis.performance.now();

/**
 * Margin subtracted from a lock's validity for clock-rate differences between this process and
 * Redis (the Redlock algorithm's drift): ttl × driftFactor + 2 ms.
 * @internal
 */
export function driftFor(ttl: number, driftFactor: number): number {
  return Math.round(ttl * driftFactor) + 2;
}
