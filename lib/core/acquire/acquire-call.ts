import type { EventEmitter } from 'node:events';
import type { AcquireReply } from '../backend/lock-backend.interface.js';
import {
  publishSettled,
  publishStarted,
  waitChannel,
  type WaitMessage,
} from '../diagnostics/lock-channels.js';
import { emitSafely } from '../events/emit-safely.util.js';
import { LockAbortedError } from '../errors/lock-aborted.error.js';
import { LockManagerClosedError } from '../errors/lock-manager-closed.error.js';
import { LockTimeoutError } from '../errors/lock-timeout.error.js';
import type { RedisFailure } from '../errors/redis-failure.js';
import { RedisLockError } from '../errors/redis-lock.error.js';
import type { Lease } from '../lease.js';
import type { LeaseKeeper } from '../lease/lease-keeper.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';
import { monotonicNow } from '../util/clock.util.js';
import type { DeadlineWatch } from '../util/deadline-watch.js';
import { jittered } from '../util/delay.util.js';
import type { InFlight } from '../util/in-flight.js';
import { createLockToken, createWaiterId } from '../util/token.util.js';
import type { Membership, WakeupHub } from '../wakeup/wakeup-hub.js';
import type { AcquireRequest } from './acquire-request.js';

/**
 * However short the wait, an attempt already sent gets this long to be answered: waitTimeout
 * bounds the waiting for a holder, not the round trip to a healthy Redis.
 */
const ATTEMPT_TIMEOUT_FLOOR_MS = 1_000;

/** What one call needs from its manager. @internal */
export interface AcquireContext {
  readonly options: ResolvedLockManagerOptions;
  readonly hub: WakeupHub;
  readonly keeper: LeaseKeeper;
  readonly deadlines: DeadlineWatch;
  readonly inFlight: InFlight;
  readonly failures: RedisFailure;
  readonly events: EventEmitter;
  /** The channel a release of `redisKey` is announced on (for the first key of any request). */
  channelFor(redisKey: string): string;
  /**
   * Why Redis cannot be reached right now (the client is reconnecting, closed), or undefined:
   * an attempt is then not sent, and fails at once as Redis would have failed it.
   */
  unreachable(): string | undefined;
}

/**
 * How one attempt ended: Redis's reply, or no reply the call will use (Redis failed, the
 * deadline or the caller's signal came first, the manager was closed).
 */
type AttemptOutcome =
  | AcquireReply
  | { readonly acquired: false; readonly failure: 'error'; readonly error: unknown }
  | { readonly acquired: false; readonly failure: 'deadline' | 'aborted' | 'closed' };

/** An attempt not sent because the client knows it cannot reach Redis. */
class NotConnected extends Error {
  override readonly name = 'NotConnected';
}

/** Nothing of the attempt ran: Redis refused it outright, or it was never sent. */
function isReplyError(error: unknown): boolean {
  return error instanceof NotConnected || (error instanceof Error && error.name === 'ReplyError');
}

const ABORTED: AttemptOutcome = Object.freeze({ acquired: false, failure: 'aborted' });
const DEADLINE: AttemptOutcome = Object.freeze({ acquired: false, failure: 'deadline' });
const CLOSED: AttemptOutcome = Object.freeze({ acquired: false, failure: 'closed' });

/**
 * Where a call is:
 * - `attempting`: an acquire attempt is in flight;
 * - `subscribing`: the lock was held; the call waits for its subscription to the release
 *   announcements before it looks again (a release announced before would be missed);
 * - `waiting`: for an announcement, the holder's expiry or the next poll, whichever comes first;
 * - `granted`, `failed`: over.
 */
export type AcquireCallState = 'attempting' | 'subscribing' | 'waiting' | 'granted' | 'failed';

/** How the call ended, for the waitEnded event. */
type Outcome = 'acquired' | 'timeout' | 'aborted' | 'error';

/**
 * One `acquire()` (of any kind of lease), from its first attempt to the grant or the failure:
 * attempts, the subscription to the key's release announcements, waits between attempts, and
 * what is given back when the call ends without the lease. A call is its own object, so its
 * state is named (`state`) and `close()` can cancel it.
 * @internal
 */
export class AcquireCall {
  state: AcquireCallState = 'attempting';

  private readonly token = createLockToken();
  /** How announcements name this call while it holds a place in a queue. */
  private readonly address: string | undefined;
  private readonly startedAt = monotonicNow();
  private readonly deadline: number;
  private delay: number;
  private attempts = 0;
  private membership: Membership | undefined;
  /** The last Redis failure since the last answer Redis gave (undefined once it answers). */
  private lastError: unknown;
  /** The pause that ended at the deadline: one last look, then give up. */
  private lastLook = false;
  private waitStarted = false;
  /** Whether the last wait ended with a wakeup (the attempt after it may still lose). */
  private woken = false;
  private outcome: Outcome = 'error';
  /** What the call rejects with, for the wait's diagnostics channel. */
  private failure: unknown;
  /** Set while the wait is traced (someone subscribed to the wait channel when it began). */
  private waitMessage: WaitMessage | undefined;
  /**
   * An attempt ended without the call learning what Redis did with it (an error, a deadline, an
   * abort): it may have taken the lock under this call's token, to be given back if the call
   * ends without the lease.
   */
  private uncertain = false;
  private cancelled = false;
  /** Ends what the call awaits right now (an attempt, a subscription) when close() cancels it. */
  private interrupt: (() => void) | undefined;
  // What the last attempt saw, for the decisions after it: the channel it could be woken on and
  // whether that was listened to when it was sent, and how the holder answered.
  private sentChannel = '';
  private sentActive = false;
  private sentGeneration = 0;
  private holderTtl = -1;
  private blockedBy = 0;
  /**
   * When the last attempt that Redis answered with a place in the queue was sent: a lock handed
   * to this call by a release was granted after it (see takeGrant).
   */
  private queuedAt = 0;
  /** Whether Redis gave this call a place in a queue (it must leave it if it gives up). */
  private queued = false;
  /** The fencing token of a lock a release handed to this call while it waited. */
  private grantedFence: number | undefined;

  constructor(
    private readonly context: AcquireContext,
    private readonly request: AcquireRequest,
    private readonly mode: 'acquire' | 'try',
  ) {
    this.deadline = this.startedAt + request.waitTimeout;
    this.delay = context.options.retry.minDelay;
    this.address = request.driver.addressed ? createWaiterId() : undefined;
  }

  /** The manager is closing: the call ends with `LockManagerClosedError`, holding nothing. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.interrupt?.();
  }

  async run(): Promise<Lease | null> {
    const { key, signal } = this.request;
    if (this.cancelled) throw new LockManagerClosedError();
    if (signal?.aborted) throw new LockAbortedError(key, { cause: signal.reason });
    try {
      for (;;) {
        const next = await this.attemptAndDecide();
        if (next !== 'wait') return next;
        if (await this.listen()) continue;
        const granted = await this.pause();
        if (granted) return granted;
        if (this.state === 'failed') return this.giveUp();
      }
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.finish();
    }
  }

  /** One attempt; returns the lease, null (a try that found it held), or 'wait'. */
  private async attemptAndDecide(): Promise<Lease | null | 'wait'> {
    this.state = 'attempting';
    const { redisKeys, ttl } = this.request;
    // Before the call joins a channel, other waiters of this process may already listen to it:
    // then a release during this attempt cannot go unnoticed.
    const { membership } = this;
    if (membership) {
      this.sentChannel = membership.channel;
      this.sentActive = membership.active;
      this.sentGeneration = membership.generation;
    } else {
      const { hub } = this.context;
      this.sentChannel = this.context.channelFor(redisKeys[0]!);
      this.sentActive = hub.isListening(this.sentChannel);
      this.sentGeneration = hub.generationOf(this.sentChannel);
    }
    const sentAt = monotonicNow();
    this.attempts++;
    const reply = await this.attempt();

    this.holderTtl = -1;
    this.blockedBy = 0;
    if (reply.acquired) {
      if (this.cancelled) {
        this.giveBack();
        throw new LockManagerClosedError();
      }
      if (this.context.keeper.validUntil(sentAt, ttl) > monotonicNow()) {
        return this.grant(reply, sentAt);
      }
      // The reply arrived after the lock's validity had passed (Redis or this process stalled):
      // the lock cannot be relied on. Give it back and try again.
      await this.request.driver.release(redisKeys, this.token).catch(() => undefined);
      this.lastError = undefined;
    } else if ('holderTtl' in reply) {
      this.holderTtl = reply.holderTtl;
      this.blockedBy = reply.blockedBy;
      this.lastError = undefined;
      this.queuedAt = sentAt;
      if (this.address !== undefined && this.request.waitTimeout !== 0) this.queued = true;
    } else {
      // Redis may have run the attempt without the call learning of it, unless Redis itself
      // refused the command (a reply error: nothing of it ran).
      if (!(reply.failure === 'error' && isReplyError(reply.error))) this.uncertain = true;
      if (reply.failure === 'aborted') throw this.aborted();
      if (reply.failure === 'closed') throw new LockManagerClosedError();
      if (reply.failure === 'error') {
        this.failIfFatal(reply.error);
        this.lastError = reply.error;
      } else {
        this.lastError ??= new Error(`Redis did not answer within ${ATTEMPT_TIMEOUT_FLOOR_MS} ms`);
        this.lastLook = true;
      }
    }
    if (this.cancelled) throw new LockManagerClosedError();
    if (this.lastLook || monotonicNow() >= this.deadline) {
      this.state = 'failed';
      return this.giveUp();
    }
    return 'wait';
  }

  /**
   * Joins the channel of the key that blocked the attempt. Returns true when the call should
   * look again at once (it may have missed a release), false to wait.
   */
  private async listen(): Promise<boolean> {
    const { redisKeys, driver } = this.request;
    // For a multi-key lock the blocking key may change from one attempt to the next.
    const channel = driver.channelFor(redisKeys[this.blockedBy] ?? redisKeys[0]!);
    const answered = this.lastError === undefined;
    if (this.membership && answered && this.membership.channel !== channel) {
      this.membership.leave();
      this.membership = undefined;
    }
    if (!this.membership) {
      if (!this.waitStarted) {
        this.waitStarted = true;
        if (waitChannel.hasSubscribers) {
          this.waitMessage = {
            key: this.request.key,
            kind: this.request.kind,
            waitedBeforeMs: monotonicNow() - this.startedAt,
          };
          publishStarted(waitChannel, this.waitMessage);
        }
        this.emit('waitStarted', () => ({
          key: this.request.key,
          waitedMs: monotonicNow() - this.startedAt,
        }));
      }
      const membership = this.context.hub.join(channel);
      this.membership = membership;
      const noticed =
        this.sentActive &&
        this.sentChannel === channel &&
        membership.active &&
        membership.generation === this.sentGeneration;
      if (!answered || noticed) return false;
      // A release announced before the subscription was active would be missed: once
      // listening, look again before waiting.
      this.state = 'subscribing';
      const ready = await this.waitFor(membership.ready());
      if (ready === 'aborted') throw this.aborted();
      if (ready === 'closed') throw new LockManagerClosedError();
      return true;
    }
    // A release was announced while the attempt was in flight, or the subscription came up
    // after it was sent: look again at once.
    return (
      answered &&
      ((!this.sentActive && this.membership.active) ||
        this.membership.generation !== this.sentGeneration)
    );
  }

  /**
   * Waits for an announcement, the holder's expiry, the next poll or the deadline. Returns the
   * lease when a release handed the lock straight to this call.
   */
  private async pause(): Promise<Lease | undefined> {
    this.state = 'waiting';
    const { maxDelay, factor } = this.context.options.retry;
    const untilDeadline = this.deadline - monotonicNow();
    const holderTtl = this.holderTtl;
    // A queued waiter is named by the release that serves it: it looks again only when Redis
    // said to (to renew its place, or when the holder's lease ends), never on a backoff of its
    // own, so the commands a queued waiter sends do not grow with the length of its wait.
    const poll = this.queued && holderTtl >= 0 ? Number.POSITIVE_INFINITY : jittered(this.delay);
    const ms = Math.max(
      1,
      Math.min(poll, untilDeadline, holderTtl >= 0 ? holderTtl + 1 : Number.POSITIVE_INFINITY),
    );
    this.delay = Math.min(this.delay * factor, maxDelay);
    // A queued waiter (fair lock, writer) is also woken when a release names it.
    const waited = await this.membership!.wait(
      ms,
      this.request.signal,
      this.address,
      this.woken,
      this.request.driver.grantTtl === undefined ? undefined : this.onGrant,
    );
    this.woken = waited === 'woken';
    if (waited === 'closed' || this.cancelled) throw new LockManagerClosedError();
    // Handed over while it waited: it holds the lock, whatever the signal or the deadline say.
    if (waited === 'granted') return this.takeGrant();
    if (waited === 'aborted') throw this.aborted();
    if (monotonicNow() >= this.deadline) {
      if (this.woken) {
        // This waiter gives up: let the next one use the wakeup.
        this.membership!.passOn();
        this.state = 'failed';
      } else {
        this.lastLook = true;
      }
    }
    return undefined;
  }

  private readonly onGrant = (fencingToken: number): void => {
    this.grantedFence = fencingToken;
  };

  /**
   * A release handed the lock to this call, for the driver's short grant ttl: it holds it from
   * a moment it knows came before the grant (the last attempt Redis answered with a place), and
   * confirms it at once with an extension to the full ttl. When that moment is too long ago to
   * leave any validity, one more attempt takes the lock for its full ttl instead.
   */
  private takeGrant(): Lease | undefined {
    const { request } = this;
    const grantTtl = request.driver.grantTtl!;
    const fencingToken = this.grantedFence!;
    if (this.context.keeper.validUntil(this.queuedAt, grantTtl) <= monotonicNow() + 1) {
      return undefined;
    }
    this.state = 'granted';
    this.outcome = 'acquired';
    return this.context.keeper.grant(
      {
        key: request.key,
        keys: request.keys,
        redisKeys: request.redisKeys,
        token: this.token,
        fencingToken,
        ttl: grantTtl,
        sentAt: this.queuedAt,
        autoExtend: request.autoExtend,
        driver: request.driver,
        kind: request.kind,
        params: request.params,
      },
      monotonicNow() - this.startedAt,
      this.attempts,
      request.ttl,
    );
  }

  /** One acquire attempt, bounded by the deadline (and a floor), the signal and close(). */
  private attempt(): Promise<AttemptOutcome> {
    const { redisKeys, signal, driver, ttl, params } = this.request;
    const { inFlight, deadlines, options } = this.context;
    const down = this.context.unreachable();
    if (down !== undefined) {
      // Queued by the client until it reconnects, the attempt would only use up the wait: an
      // outage is told as one at once (and nothing was sent, so nothing can be held).
      return Promise.resolve({ acquired: false, failure: 'error', error: new NotConnected(down) });
    }
    inFlight.begin();
    // A single attempt (a try) never takes a place in a queue: it could not wait for its turn.
    const waiter = this.request.waitTimeout === 0 ? undefined : this.address;
    const pending = driver.acquire(redisKeys, this.token, ttl, options.owner, params, waiter);
    const budget = Math.max(
      this.deadline - monotonicNow(),
      ATTEMPT_TIMEOUT_FLOOR_MS + (driver.attemptAllowanceMs ?? 0),
    );
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: AttemptOutcome): void => {
        if (settled) return;
        settled = true;
        watched?.cancel();
        if (signal) signal.removeEventListener('abort', onAbort);
        this.interrupt = undefined;
        resolve(outcome);
      };
      const onAbort = (): void => finish(ABORTED);
      const watched =
        budget === Number.POSITIVE_INFINITY
          ? undefined
          : deadlines.watch(monotonicNow() + budget, () => finish(DEADLINE));
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
      this.interrupt = () => finish(CLOSED);
      pending.then(
        (reply) => {
          inFlight.end();
          // Given up on before the reply came: a lock taken now must not linger until its ttl.
          if (settled && reply.acquired) this.giveBack();
          finish(reply);
        },
        (error: unknown) => {
          inFlight.end();
          finish({ acquired: false, failure: 'error', error });
        },
      );
    });
  }

  private grant(reply: Extract<AcquireReply, { acquired: true }>, sentAt: number): Lease {
    const { request } = this;
    this.state = 'granted';
    this.outcome = 'acquired';
    if (reply.shortfall) {
      const { shortfall } = reply;
      this.emit('replicaShortfall', () => ({
        key: request.key,
        fencingToken: reply.fencingToken,
        ...shortfall,
      }));
    }
    // A read lock or a permit with room to spare: the next waiter here may get in too.
    if (reply.passOn) this.membership?.passOn();
    return this.context.keeper.grant(
      {
        key: request.key,
        keys: request.keys,
        redisKeys: request.redisKeys,
        token: this.token,
        fencingToken: reply.fencingToken,
        ttl: request.ttl,
        sentAt,
        autoExtend: request.autoExtend,
        driver: request.driver,
        kind: request.kind,
        params: request.params,
      },
      monotonicNow() - this.startedAt,
      this.attempts,
    );
  }

  private giveUp(): null {
    const { key, kind } = this.request;
    this.state = 'failed';
    this.outcome = 'timeout';
    if (this.mode === 'try') {
      if (this.lastError !== undefined) {
        this.outcome = 'error';
        throw this.failed(
          'error',
          this.context.failures.backendError(key, 'acquire', this.lastError),
        );
      }
      this.emit('acquireFailed', () => ({
        key,
        waitedMs: monotonicNow() - this.startedAt,
        reason: 'held',
      }));
      return null;
    }
    throw this.failed(
      'timeout',
      new LockTimeoutError(
        key,
        monotonicNow() - this.startedAt,
        this.lastError === undefined
          ? { kind, waitTimeout: this.request.waitTimeout }
          : {
              cause: this.context.failures.topologyError(key, this.lastError),
              kind,
              waitTimeout: this.request.waitTimeout,
            },
      ),
    );
  }

  /** Redis refused the command for good, or the driver gave its own verdict: no retry helps. */
  private failIfFatal(error: unknown): void {
    if (error instanceof RedisLockError) throw this.failed('error', error);
    if (this.context.failures.isFatal(error)) {
      throw this.failed(
        'error',
        this.context.failures.backendError(this.request.key, 'acquire', error),
      );
    }
  }

  private aborted(): RedisLockError {
    this.outcome = 'aborted';
    return this.failed(
      'aborted',
      new LockAbortedError(this.request.key, { cause: this.request.signal?.reason }),
    );
  }

  private failed(reason: 'timeout' | 'aborted' | 'error', error: RedisLockError): RedisLockError {
    this.state = 'failed';
    this.emit('acquireFailed', () => ({
      key: this.request.key,
      waitedMs: monotonicNow() - this.startedAt,
      reason,
      error,
    }));
    return error;
  }

  /** Waits for `promise`, the deadline, the signal or close(), whichever comes first. */
  private waitFor(promise: Promise<void>): Promise<'done' | 'deadline' | 'aborted' | 'closed'> {
    const { signal } = this.request;
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.cancelled) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const finish = (outcome: 'done' | 'deadline' | 'aborted' | 'closed'): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.interrupt = undefined;
        resolve(outcome);
      };
      const onAbort = (): void => finish('aborted');
      const timer = setTimeout(
        () => finish('deadline'),
        Math.min(Math.max(0, this.deadline - monotonicNow()), 2_147_483_647),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.interrupt = () => finish('closed');
      void promise.then(() => finish('done'));
    });
  }

  /** Owner-checked, so harmless when the key is someone else's or nobody's. */
  private giveBack(): void {
    const { driver, redisKeys } = this.request;
    this.context.inFlight.track(driver.release(redisKeys, this.token));
  }

  private finish(): void {
    this.membership?.leave();
    const { driver, redisKeys } = this.request;
    if (this.outcome !== 'acquired') {
      // An attempt whose outcome is unknown may have taken the lock: give it back.
      if (this.uncertain) this.giveBack();
      // A waiter that gives up leaves its place in a queue at once (sent after its last attempt
      // on the same connection, so Redis sees them in that order).
      if (driver.abandon && (this.queued || this.uncertain)) {
        this.context.inFlight.track(driver.abandon(redisKeys, this.token));
      }
    }
    const { waitMessage } = this;
    if (waitMessage) {
      waitMessage.waitedMs = monotonicNow() - this.startedAt;
      waitMessage.outcome = this.outcome;
      publishSettled(waitChannel, waitMessage, this.failure);
    }
    if (this.waitStarted) {
      this.emit('waitEnded', () => ({
        key: this.request.key,
        waitedMs: monotonicNow() - this.startedAt,
        outcome: this.outcome,
      }));
    }
  }

  private emit(event: string, payload: () => unknown): void {
    if (this.context.events.listenerCount(event) > 0) {
      emitSafely(this.context.events, event, payload());
    }
  }
}
