import { performance } from 'node:perf_hooks';

/**
 * Monotonic milliseconds: validity windows are measured with this, never with Date.now(), so a
 * wall-clock step cannot stretch a lock's validity.
 * @internal
 */
export const monotonicNow: () => number = () => performance.now();

/**
 * Margin subtracted from a lock's validity for clock-rate differences between this process and
 * Redis (the Redlock algorithm's drift): ttl × driftFactor + 2 ms.
 * @internal
 */
export function driftFor(ttl: number, driftFactor: number): number {
  return Math.round(ttl * driftFactor) + 2;
}
