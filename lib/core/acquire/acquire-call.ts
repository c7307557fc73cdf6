import type { AcquireReply } from '../backend/lease-driver.interface.js';
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
import { RedisLockError } from '../errors/redis-lock.error.js';
import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { LeaseOf } from '../lease/lease-handle.util.js';
import { monotonicNow } from '../util/clock.util.js';
import { jittered } from '../util/delay.util.js';
import type { ListNode } from '../util/linked-list.js';
import { createLockToken } from '../util/token.util.js';
import type { Membership } from '../wakeup/wakeup-hub.js';
import type { AcquireContext } from './acquire-context.interface.js';

import type { AcquireRequest } from './acquire-request.js';
import {
  ATTEMPT_TIMEOUT_FLOOR_MS,
  type AttemptOutcome,
  type AttemptSettings,
  isReplyError,
  sendAttempt,
} from './send-attempt.util.js';
import { type WaitOutcome, waitWithin } from './wait-within.util.js';

/**
 * Where a call is:
 * - `attempting`: an acquire attempt is in flight;
 * - `subscribing`: the lock was held; the call waits for its subscription to the release
 *   announcements before it looks again (a release announced before would be missed);
 * - `waiting`: for an announcement, the holder's expiry or the next poll, whichever comes first;
 * - `granted`, `failed`: over.
 */
export type AcquireCallState = 'attempting' | 'subscribing' | 'waiting' | 'granted' | 'failed';

/** An attempt's grant that came too late to be relied on. */
const STALE = Symbol('stale');
type Stale = typeof STALE;

/** How the call ended, for the waitEnded event. */
type Outcome = 'acquired' | 'timeout' | 'aborted' | 'error';

/**
 * One `acquire()` (of any kind of lease), from its first attempt to the grant or the failure:
 * attempts, the subscription to the key's release announcements, waits between attempts, and
 * what is given back when the call ends without the lease. A call is its own object, so its
 * state is named (`state`) and `close()` can cancel it.
 *
 * Over 400 lines with its comments, on purpose: one state machine whose steps (attempt, listen,
 * pause, give up) share the call's state; the pieces that need none of it are beside it
 * (send-attempt.util.ts, wait-within.util.ts).
 * @internal
 */
export class AcquireCall<K extends LeaseKind = LeaseKind> implements AttemptSettings {
  state: AcquireCallState = 'attempting';

  /** The owner token the call's attempts send (AttemptSettings). */
  readonly token = createLockToken();
  /** How announcements name this call while it holds a place in a queue. */
  private readonly address: string | undefined;
  /**
   * The address its attempts send (AttemptSettings): none for a single attempt (a try), which
   * never takes a place in a queue: it could not wait for its turn.
   */
  readonly waiter: string | undefined;
  private readonly startedAt = monotonicNow();
  /** Monotonic ms at which the call's wait ends (AttemptSettings). */
  readonly deadline: number;
  private delay: number;
  private attempts = 0;
  private membership: Membership | undefined;
  /** Its place among the manager's calls under way, from run() to finish(). */
  private callNode: ListNode<{ cancel(): void }> | undefined;
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
  private sentReconnects = 0;
  private holderTtl = -1;
  private blockedBy = 0;
  /**
   * When the last attempt that Redis answered with a place in the queue was sent: a lock handed
   * to this call by a release was granted after it (see takeGrant).
   */
  private queuedAt = 0;
  /** Whether Redis gave this call a place in a queue (it must leave it if it gives up). */
  private queued = false;
  /**
   * Whether the last attempt left this call queued for a lock that a release hands over by
   * name (a fair lock): then the only announcement that concerns it is its own grant.
   */
  private awaitsGrant = false;
  /** The fencing token of a lock a release handed to this call while it waited. */
  private grantedFence: number | undefined;
  /**
   * The holder's fencing token when the last attempt queued this call: a grant made after that
   * attempt carries a larger one. A grant announced with a token no larger is older than what
   * the attempt found (its announcement was delayed, and the grant has since expired).
   */
  private grantFloor = 0;

  constructor(
    private readonly context: AcquireContext,
    private readonly request: AcquireRequest<K>,
    private readonly mode: 'acquire' | 'try',
  ) {
    this.deadline = this.startedAt + request.waitTimeout;
    this.delay = context.options.retry.minDelay;
    this.address = request.driver.addressed ? context.hub.nextWaiterId() : undefined;
    this.waiter = request.waitTimeout === 0 ? undefined : this.address;
  }

  /** The manager is closing: the call ends with `LockManagerClosedError`, holding nothing. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.interrupt?.();
  }

  async run(): Promise<LeaseOf<K> | null> {
    const { key, signal } = this.request;
    if (this.cancelled) throw new LockManagerClosedError();
    if (signal?.aborted) throw new LockAbortedError(key, { cause: signal.reason });
    this.callNode = this.context.calls.push(this);
    try {
      for (;;) {
        // The attempt is awaited here and decided on synchronously: one async frame per
        // attempt, where the uncontended call spends its time.
        const sentAt = this.beginAttempt();
        let next = this.decide(await this.attempt(), sentAt);
        if (next === STALE) {
          // The reply arrived after the lock's validity had passed (Redis or this process
          // stalled): the lock cannot be relied on. Give it back and try again.
          const { driver, redisKeys } = this.request;
          await driver.release(redisKeys, this.token).catch(() => undefined);
          this.lastError = undefined;
          next = this.afterRefusal();
        }
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

  /**
   * What one attempt's reply means: the lease, null (a try that found it held), 'wait', or
   * STALE (granted too late to be relied on: to be given back before looking again).
   */
  private decide(reply: AttemptOutcome, sentAt: number): LeaseOf<K> | null | 'wait' | Stale {
    this.holderTtl = -1;
    this.blockedBy = 0;
    this.awaitsGrant = false;
    if (reply.acquired) {
      if (this.cancelled) {
        this.giveBack();
        throw new LockManagerClosedError();
      }
      if (this.context.keeper.validUntil(sentAt, this.request.ttl) > monotonicNow()) {
        return this.grant(reply, sentAt);
      }
      return STALE;
    } else if ('holderTtl' in reply) {
      this.holderTtl = reply.holderTtl;
      this.blockedBy = reply.blockedBy;
      this.lastError = undefined;
      this.queuedAt = sentAt;
      if (this.address !== undefined && this.request.waitTimeout !== 0) {
        this.queued = true;
        this.awaitsGrant = this.request.driver.grantTtl !== undefined;
        this.grantFloor = reply.holderFence ?? 0;
      }
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
    return this.afterRefusal();
  }

  /** After an attempt that did not end with the lease: give up, or wait. */
  private afterRefusal(): null | 'wait' {
    if (this.cancelled) throw new LockManagerClosedError();
    if (this.lastLook || monotonicNow() >= this.deadline) {
      this.state = 'failed';
      return this.giveUp();
    }
    return 'wait';
  }

  /** Returns the moment (monotonic ms) before the attempt is sent. */
  private beginAttempt(): number {
    this.state = 'attempting';
    this.noteChannel();
    this.attempts++;
    return monotonicNow();
  }

  /** What the attempt about to be sent could be woken on, and whether that was listened to. */
  private noteChannel(): void {
    // Before the call joins a channel, other waiters of this process may already listen to it:
    // then a release during this attempt cannot go unnoticed.
    const { membership } = this;
    if (membership) {
      this.sentChannel = membership.channel;
      this.sentActive = membership.active;
      this.sentGeneration = membership.generation;
    } else if (this.context.hub.empty) {
      // Nothing listened to in this process (the uncontended case): no channel name to build.
      // The name only matters with sentActive, so none is kept.
      this.sentChannel = '';
      this.sentActive = false;
      this.sentGeneration = 0;
    } else {
      const { hub } = this.context;
      const key = this.request.redisKeys[0]!;
      this.sentChannel = this.context.channelFor(key);
      // Announcements that name this call go to the manager's own channel: it must be heard too.
      this.sentActive = hub.isListening(this.sentChannel, this.ownChannelFor(key));
      this.sentGeneration = hub.generationOf(this.sentChannel);
    }
    this.sentReconnects = this.context.hub.reconnects;
    // A grant heard before this attempt is older than what the attempt will find in Redis.
    if (this.address !== undefined) membership?.claimGrant(this.address);
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
      const membership = this.context.hub.join(
        channel,
        this.ownChannelFor(redisKeys[this.blockedBy] ?? redisKeys[0]!),
      );
      this.membership = membership;
      // A queued waiter of a handed-off lock needs no second look for announcements heard
      // during its attempt: they were grants to others, or its own (kept for it by the hub).
      const noticed =
        this.sentActive &&
        this.sentChannel === channel &&
        membership.active &&
        (this.awaitsGrant
          ? this.context.hub.reconnects === this.sentReconnects
          : membership.generation === this.sentGeneration);
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
        (this.awaitsGrant
          ? this.context.hub.reconnects !== this.sentReconnects
          : this.membership.generation !== this.sentGeneration))
    );
  }

  /**
   * Waits for an announcement, the holder's expiry, the next poll or the deadline. Returns the
   * lease when a release handed the lock straight to this call.
   */
  private async pause(): Promise<LeaseOf<K> | undefined> {
    this.state = 'waiting';
    if (this.awaitsGrant) {
      // Handed the lock while its attempt was on the way back: no need to wait for it.
      const fence = this.membership!.claimGrant(this.address!);
      if (fence !== undefined) {
        this.grantedFence = fence;
        // Undefined: too little validity left; the next attempt takes the lock for its ttl.
        return this.takeGrant();
      }
    }
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

  /** This manager's own channel of `redisKey`, for a call that queues on a driver that has one. */
  private ownChannelFor(redisKey: string): string | undefined {
    const { driver } = this.request;
    return this.address === undefined || driver.waiterChannelFor === undefined
      ? undefined
      : driver.waiterChannelFor(redisKey, this.context.hub.id);
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
  private takeGrant(): LeaseOf<K> | undefined {
    // close() may have run since the grant was heard (between two steps of this call): the
    // keeper gave back every lease then, and this one must not be handed out after it. The
    // call's end (finish) leaves the queue, which passes on a grant it holds.
    if (this.cancelled) throw new LockManagerClosedError();
    const { request } = this;
    const grantTtl = request.driver.grantTtl!;
    const fencingToken = this.grantedFence!;
    // A stale grant, or too little validity left: the next attempt tells what Redis holds.
    if (
      fencingToken <= this.grantFloor ||
      this.context.keeper.validUntil(this.queuedAt, grantTtl) <= monotonicNow() + 1
    ) {
      return undefined;
    }
    this.state = 'granted';
    this.outcome = 'acquired';
    // A permit has no fencing token: its grant's number (the server clock) only orders grants.
    const held = request.kind === 'permit' ? 0 : fencingToken;
    return this.holdLease(held, grantTtl, this.queuedAt, request.ttl);
  }

  /** One acquire attempt, bounded by the deadline (and a floor), the signal and close(). */
  private attempt(): Promise<AttemptOutcome> {
    return sendAttempt(this.context, this.request, this);
  }

  /** @internal AttemptSettings: given the function that ends the attempt in flight at once. */
  interruptible(interrupt: (() => void) | undefined): void {
    this.interrupt = interrupt;
  }

  /** Waits for `promise`, the deadline, the signal or close(), whichever comes first. */
  private waitFor(promise: Promise<void>): Promise<WaitOutcome> {
    return waitWithin(promise, this.deadline, this.request.signal, this.cancelled, (interrupt) => {
      this.interrupt = interrupt;
    });
  }

  private grant(reply: Extract<AcquireReply, { acquired: true }>, sentAt: number): LeaseOf<K> {
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
    return this.holdLease(reply.fencingToken, request.ttl, sentAt);
  }

  /**
   * The lease granted to this call, handed to the keeper: held for `ttl` from `sentAt`, and
   * with `confirmTtl` confirmed at once by an extension to it (a grant handed over in Redis).
   */
  private holdLease(
    fencingToken: number,
    ttl: number,
    sentAt: number,
    confirmTtl?: number,
  ): LeaseOf<K> {
    const { key, keys, redisKeys, autoExtend, driver, kind, params } = this.request;
    // One literal in LeaseGrant's order (a spread of a partial grant gave it a new shape per call).
    const token = this.token;
    return this.context.keeper.grant(
      { key, keys, redisKeys, token, fencingToken, ttl, sentAt, autoExtend, driver, kind, params },
      monotonicNow() - this.startedAt,
      this.attempts,
      confirmTtl,
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

  /**
   * Gives back a lock the call may hold and will not keep (also AttemptSettings': a grant that
   * came after the call stopped waiting for it). Owner-checked, so harmless when the key is
   * someone else's or nobody's.
   */
  giveBack(): void {
    const { driver, redisKeys } = this.request;
    this.context.inFlight.track(driver.release(redisKeys, this.token));
  }

  /** AttemptSettings: leaves a queue a late attempt put the call in, after it gave up. */
  leaveLate(): void {
    const { driver, redisKeys } = this.request;
    if (driver.abandon && this.waiter !== undefined) {
      this.context.inFlight.track(driver.abandon(redisKeys, this.token));
    }
  }

  private finish(): void {
    this.callNode?.remove();
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
