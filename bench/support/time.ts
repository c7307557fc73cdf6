import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time in milliseconds on CLOCK_MONOTONIC. `process.hrtime` reads the same system-wide clock in
 * every process of the machine, so timestamps taken in different worker processes can be
 * compared with each other (performance.now() cannot: its origin is each process's start).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return delay(Math.max(0, ms));
}

/** Sleeps until the monotonic clock reads `atMs`. */
export function sleepUntil(atMs: number): Promise<void> {
  return sleep(atMs - monotonicMs());
}
