import type { AcquireReply } from '../backend/lease-driver.interface.js';
import { monotonicNow } from '../util/clock.util.js';
import type { AcquireContext } from './acquire-context.interface.js';
import type { AcquireRequest } from './acquire-request.js';

/**
 * However short the wait, an attempt already sent gets this long to be answered: waitTimeout
 * bounds the waiting for a holder, not the round trip to a healthy Redis.
 * @internal
 */
export const ATTEMPT_TIMEOUT_FLOOR_MS = 1_000;

/**
 * How one attempt ended: Redis's reply, or no reply the call will use (Redis failed, the
 * deadline or the caller's signal came first, the manager was closed).
 * @internal
 */
export type AttemptOutcome =
  | AcquireReply
  | { readonly acquired: false; readonly failure: 'error'; readonly error: unknown }
  | { readonly acquired: false; readonly failure: 'deadline' | 'aborted' | 'closed' };

/** An attempt not sent because the client knows it cannot reach Redis. */
class NotConnected extends Error {
  override readonly name = 'NotConnected';
}

/** Nothing of the attempt ran: Redis refused it outright, or it was never sent. @internal */
export function isReplyError(error: unknown): boolean {
  return error instanceof NotConnected || (error instanceof Error && error.name === 'ReplyError');
}

const ABORTED: AttemptOutcome = Object.freeze({ acquired: false, failure: 'aborted' });
const DEADLINE: AttemptOutcome = Object.freeze({ acquired: false, failure: 'deadline' });
const CLOSED: AttemptOutcome = Object.freeze({ acquired: false, failure: 'closed' });

/** What one attempt is sent with, and how it reaches back into its call. @internal */
export interface AttemptSettings {
  /** The call's token. */
  readonly token: string;
  /** How announcements name the call in a queue; undefined when it takes no place. */
  readonly waiter: string | undefined;
  /** Monotonic ms at which the call's wait ends. */
  readonly deadline: number;
  /** Given the function that ends the attempt at once (close()), undefined once it is over. */
  interruptible(interrupt: (() => void) | undefined): void;
  /** Gives back a lock granted after the call stopped waiting for the reply. */
  giveBack(): void;
  /**
   * Leaves the queue again: an attempt whose reply came after the call stopped waiting for it
   * may have run after the call's own leave, and put it back in the queue.
   */
  leaveLate(): void;
}

/**
 * One acquire attempt, bounded by the deadline (and a floor), the signal and close().
 * @internal
 */
export function sendAttempt(
  context: AcquireContext,
  request: AcquireRequest,
  settings: AttemptSettings,
): Promise<AttemptOutcome> {
  const { redisKeys, signal, driver, ttl, params } = request;
  const { inFlight, deadlines, options } = context;
  const down = context.unreachable();
  if (down !== undefined) {
    // Queued by the client until it reconnects, the attempt would only use up the wait: an
    // outage is told as one at once (and nothing was sent, so nothing can be held).
    return Promise.resolve({ acquired: false, failure: 'error', error: new NotConnected(down) });
  }
  inFlight.begin();
  const { token, waiter } = settings;
  const pending = driver.acquire(redisKeys, token, ttl, options.owner, params, waiter);
  const budget = Math.max(
    settings.deadline - monotonicNow(),
    ATTEMPT_TIMEOUT_FLOOR_MS + (driver.attemptAllowanceMs ?? 0),
  );
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      watched?.cancel();
      if (signal) signal.removeEventListener('abort', onAbort);
      settings.interruptible(undefined);
      resolve(outcome);
    };
    const onAbort = (): void => finish(ABORTED);
    const watched =
      budget === Number.POSITIVE_INFINITY
        ? undefined
        : deadlines.watch(monotonicNow() + budget, () => finish(DEADLINE));
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    settings.interruptible(() => finish(CLOSED));
    pending.then(
      (reply) => {
        if (settled) {
          // Given up on before the reply came: a lock taken now must not linger until its ttl,
          // nor a place taken now in a queue, which a release would hand the lock to. The call
          // left the queue when it gave up, but this attempt can run after that: a client
          // resends a script as EVAL when Redis answers NOSCRIPT, after the caller's leave.
          // Sent before the attempt stops counting as in flight, so close() waits for it too.
          if (reply.acquired) settings.giveBack();
          else if ('holderTtl' in reply) settings.leaveLate();
        }
        inFlight.end();
        finish(reply);
      },
      (error: unknown) => {
        inFlight.end();
        finish({ acquired: false, failure: 'error', error });
      },
    );
  });
}
