import { setTimeout as sleep } from 'node:timers/promises';

export interface UntilOptions {
  /** How long the condition may take before the test fails; 10 s by default. */
  readonly timeoutMs?: number;
  /** Pause between two checks; 5 ms by default. Slower where each check costs the servers. */
  readonly everyMs?: number;
  /**
   * Count a check that throws as "not yet", for conditions on a server that is restarting or
   * failing over; otherwise the error fails the test at once.
   */
  readonly retryErrors?: boolean;
}

/**
 * Waits for something a test cannot await directly (a waiter queued in Redis, a subscription, a
 * failover), checking again and again, and fails with `what` in the message if it never comes.
 */
export async function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  options: UntilOptions = {},
): Promise<void> {
  const { timeoutMs = 10_000, everyMs = 5, retryErrors = false } = options;
  const check = async (): Promise<boolean> => {
    if (!retryErrors) return condition();
    try {
      return await condition();
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
