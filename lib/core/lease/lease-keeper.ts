import type { EventEmitter } from 'node:events';
import type { ExtendRequest, LeaseDriver, OwnedResult } from '../backend/lease-driver.interface.js';
import { QuorumShortfall } from '../quorum/quorum-shortfall.js';
import {
  type ExtendMessage,
  extendChannel,
  type LeaseMessage,
  type LostMessage,
  lostChannel,
  publishSettled,
  publishStarted,
  releaseChannel,
} from '../diagnostics/lock-channels.js';
import { emitSafely } from '../events/emit-safely.util.js';
import { LockBackendError } from '../errors/lock-backend.error.js';
import type { LockLostReason } from '../errors/lock-lost.error.js';
import { LockReleasedError } from '../errors/lock-released.error.js';
import { errorMessage, type RedisFailure } from '../errors/redis-failure.js';
import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { LeaseHost } from '../lease.js';
import { validateTtl } from '../options/validation.js';
import { LeaseScheduler } from '../renewal/lease-scheduler.js';
import { driftFor, monotonicNow } from '../util/clock.util.js';
import type { DeadlineWatch } from '../util/deadline-watch.js';
import type { InFlight } from '../util/in-flight.js';
import { createHandle, type LeaseOf } from './lease-handle.util.js';
import { type ExtensionTicket, type LeaseGrant, LeaseLifecycle } from './lease-lifecycle.js';

/**
 * However short the validity left, a release or an extension already sent gets this long to be
 * answered before the caller is told Redis did not confirm it.
 */
const ANSWER_FLOOR_MS = 1_000;

/** What the keeper needs from the manager that owns it. @internal */
export interface LeaseKeeperContext {
  readonly driftFactor: number;
  /** Events are emitted on it, each listener isolated (see emitSafely). */
  readonly events: EventEmitter;
  readonly deadlines: DeadlineWatch;
  readonly inFlight: InFlight;
  readonly failures: RedisFailure;
}

/**
 * Every held lease of a manager goes through here: the grant, renewals (asked for by the
 * scheduler), `extend()`, `release()`, the loss, and the manager's close. It sends the commands
 * and applies each reply to the lease's state machine ({@link LeaseLifecycle}), then emits the
 * events, once the state is consistent.
 * @internal
 */
export class LeaseKeeper implements LeaseHost {
  private readonly scheduler: LeaseScheduler;

  constructor(private readonly context: LeaseKeeperContext) {
    this.scheduler = new LeaseScheduler({
      renew: (driver, leases) => this.renew(driver, leases),
      expired: (lease) => this.lose(lease, lease.renews ? 'unconfirmed' : 'expired'),
    });
  }

  /** Number of leases held right now. */
  get size(): number {
    return this.scheduler.size;
  }

  /** End of the validity of a lease whose command was sent at `sentAt` (monotonic ms). */
  readonly validUntil = (sentAt: number, ttl: number): number =>
    sentAt + ttl - driftFor(ttl, this.context.driftFactor);

  /**
   * Makes a granted lease held: watched, renewed, and handed to the caller as its handle. With
   * `confirmTtl`, the grant was a short one (a lock handed to a waiter): an extension to
   * `confirmTtl` confirms it, as the lease's first renewal, a third of the way into the grant
   * ttl (see LeaseLifecycle.deferConfirmation); at once when `confirmTtl` is the shorter, so
   * that the lock never outlives the ttl its caller asked for by more than a round trip.
   */
  grant<K extends LeaseKind>(
    grant: LeaseGrant & { readonly kind: K },
    waitedMs: number,
    attempts: number,
    confirmTtl?: number,
  ): LeaseOf<K> {
    const lease = new LeaseLifecycle(grant, this.validUntil(grant.sentAt, grant.ttl));
    const confirmNow = confirmTtl !== undefined && confirmTtl < grant.ttl;
    if (confirmTtl !== undefined && !confirmNow) lease.deferConfirmation(confirmTtl);
    this.scheduler.add(lease);
    if (confirmNow) this.confirm(lease, confirmTtl);
    this.emit('acquired', () => ({
      key: lease.key,
      token: lease.token.slice(0, 8),
      fencingToken: lease.fencingToken,
      waitedMs,
      attempts,
    }));
    return createHandle(grant.kind, lease, this);
  }

  releaseLease(lease: LeaseLifecycle): Promise<void> {
    if (!releaseChannel.hasSubscribers) return this.release(lease);
    return releaseChannel.tracePromise(() => this.release(lease), this.leaseMessage(lease));
  }

  extendLease(lease: LeaseLifecycle, ttl: number | undefined): Promise<void> {
    if (!extendChannel.hasSubscribers) return this.extend(lease, ttl);
    return extendChannel.tracePromise(() => this.extend(lease, ttl), {
      ...this.leaseMessage(lease),
      ttl: ttl ?? lease.ttl,
      automatic: false,
    });
  }

  private release(lease: LeaseLifecycle): Promise<void> {
    if (lease.phase === 'released') return Promise.resolve();
    if (lease.phase === 'lost') return Promise.reject(lease.lostError);
    if (lease.releasing) return lease.releasing;
    lease.beginRelease();
    // Renewal stops now, before the release is even sent.
    this.scheduler.delete(lease);
    lease.releasing = this.sendRelease(lease);
    return lease.releasing;
  }

  private async extend(lease: LeaseLifecycle, ttl: number | undefined): Promise<void> {
    const newTtl = ttl === undefined ? undefined : validateTtl(ttl);
    const sentAt = monotonicNow();
    const ticket = lease.sendExtension(newTtl, sentAt, this.validUntil, false);
    if (!ticket) throw this.notHeld(lease);
    // A shorter ttl bounds the validity from now on: the timer must notice its end.
    this.scheduler.reschedule(lease);
    let result: OwnedResult;
    try {
      const budget = Math.max(ANSWER_FLOOR_MS, lease.expiresAt - sentAt);
      const sent = lease.driver.extend(this.extendRequest(lease, ticket));
      this.context.inFlight.track(sent);
      result = await this.context.deadlines.bound(sent, budget);
    } catch (error) {
      lease.extensionUnanswered(ticket, monotonicNow());
      this.scheduler.reschedule(lease);
      throw this.context.failures.backendError(lease.key, 'extend', error);
    }
    if (result !== 'ok') {
      this.lose(lease, result);
      throw lease.lostError ?? this.notHeld(lease);
    }
    // Released or declared lost while the extension was in flight.
    if (!lease.confirmExtension(ticket)) throw this.notHeld(lease);
    this.scheduler.reschedule(lease);
    this.emitExtended(lease, ticket);
  }

  /** Stops every renewal and gives back every lease still held (their signals abort). */
  closeAll(): void {
    const held = this.scheduler.held();
    this.scheduler.close();
    for (const lease of held) this.lose(lease, 'closed');
  }

  /** The extension that confirms a short grant, sent at once (settled like a renewal). */
  private confirm(lease: LeaseLifecycle, ttl: number): void {
    const ticket = lease.sendExtension(ttl, monotonicNow(), this.validUntil, true)!;
    this.context.inFlight.track(
      lease.driver.extend(this.extendRequest(lease, ticket)).then(
        (result) => this.settleRenewals([lease], [ticket], [result]),
        () => this.settleRenewals([lease], [ticket], undefined),
      ),
    );
  }

  /** Renews leases of one driver in one batch (asked for by the scheduler). */
  private renew(driver: LeaseDriver, leases: readonly LeaseLifecycle[]): void {
    const sentAt = monotonicNow();
    const sending: LeaseLifecycle[] = [];
    const tickets: ExtensionTicket[] = [];
    for (const lease of leases) {
      // Released or lost since the scheduler picked it: nothing is written for it any more.
      if (!this.scheduler.has(lease)) continue;
      const ticket = lease.sendExtension(undefined, sentAt, this.validUntil, true);
      if (!ticket) continue;
      sending.push(lease);
      tickets.push(ticket);
    }
    if (sending.length === 0) return;
    const requests = sending.map((lease, i) => this.extendRequest(lease, tickets[i]!));
    const messages = extendChannel.hasSubscribers
      ? sending.map((lease, i) => {
          const message = { ...this.leaseMessage(lease), ttl: tickets[i]!.ttl, automatic: true };
          publishStarted(extendChannel, message);
          return message;
        })
      : undefined;
    this.context.inFlight.track(
      driver.extendMany(requests).then(
        (results) => this.settleRenewals(sending, tickets, results, messages),
        (error: unknown) => this.settleRenewals(sending, tickets, undefined, messages, error),
      ),
    );
  }

  private settleRenewals(
    leases: readonly LeaseLifecycle[],
    tickets: readonly ExtensionTicket[],
    results: readonly OwnedResult[] | undefined,
    messages?: readonly ExtendMessage[],
    error?: unknown,
  ): void {
    const now = monotonicNow();
    leases.forEach((lease, i) => {
      const result = results?.[i];
      this.settleRenewal(lease, tickets[i]!, result, now);
      if (messages) this.publishRenewal(messages[i]!, lease, result, error);
    });
  }

  private settleRenewal(
    lease: LeaseLifecycle,
    ticket: ExtensionTicket,
    result: OwnedResult | undefined,
    now: number,
  ): void {
    if (result === 'ok') {
      if (lease.confirmExtension(ticket)) this.emitExtended(lease, ticket);
    } else if (result === 'expired' || result === 'taken') {
      // During a release, the release's own reply tells.
      if (lease.phase === 'held') this.lose(lease, result);
      return;
    } else {
      lease.extensionUnanswered(ticket, now);
    }
    this.scheduler.reschedule(lease);
  }

  private extendRequest(lease: LeaseLifecycle, ticket: ExtensionTicket): ExtendRequest {
    return {
      redisKeys: lease.redisKeys,
      token: lease.token,
      ttl: ticket.ttl,
      fencingToken: lease.fencingToken,
      // A quorum gives the lock back to masters that lost it, but never once a release began.
      mayRestore: () => lease.phase === 'held',
    };
  }

  /**
   * Sends the release, bounded: past the validity window the key is gone anyway, so an
   * unreachable Redis does not hold the caller up. One promise for the caller, none of its own
   * besides the command's: releases are half of every lock's traffic.
   */
  private sendRelease(lease: LeaseLifecycle): Promise<void> {
    const { inFlight, deadlines } = this.context;
    const budget = Math.max(ANSWER_FLOOR_MS, lease.expiresAt - monotonicNow() + 1_000);
    inFlight.begin();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const watched = deadlines.watch(monotonicNow() + budget, () => {
        settled = true;
        reject(this.releaseFailed(lease, new Error(`Redis did not answer within ${budget} ms`)));
      });
      lease.driver.release(lease.redisKeys, lease.token).then(
        (result) => {
          inFlight.end();
          if (settled) return;
          watched.cancel();
          if (result === 'ok') {
            lease.released();
            this.emit('released', () => ({
              ...this.eventBase(lease),
              heldMs: monotonicNow() - lease.acquiredAt,
            }));
            resolve();
            return;
          }
          this.lose(lease, result);
          reject(lease.lostError);
        },
        (error: unknown) => {
          inFlight.end();
          if (settled) return;
          watched.cancel();
          reject(this.releaseFailed(lease, error));
        },
      );
    });
  }

  /** Redis did not confirm a release: the lease is over for its holder, and expires by itself. */
  private releaseFailed(lease: LeaseLifecycle, error: unknown): LockBackendError {
    const { key } = lease;
    lease.released();
    const failure =
      error instanceof QuorumShortfall
        ? this.context.failures.backendError(key, 'release', error)
        : new LockBackendError(
            key,
            'release',
            `Redis did not confirm the release of lock "${key}" (${errorMessage(error)}). ` +
              `It expires by itself within ${lease.ttl} ms at the latest.`,
            { cause: error },
          );
    this.emit('releaseFailed', () => ({
      ...this.eventBase(lease),
      heldMs: monotonicNow() - lease.acquiredAt,
      error: failure,
    }));
    return failure;
  }

  /**
   * Declares a lease lost (once) and gives back whatever of it may still be ours: the other keys
   * of a multi-key lock, the masters of a quorum that still hold it, the key itself when the
   * renewal was only unconfirmed or the manager is closing. Owner-checked, so harmless where
   * the key already belongs to someone else.
   */
  private lose(lease: LeaseLifecycle, reason: LockLostReason): void {
    this.scheduler.delete(lease);
    if (lease.phase === 'released' || lease.phase === 'lost') return;
    if (lostChannel.hasSubscribers) {
      const message: LostMessage = { ...this.leaseMessage(lease), reason };
      lostChannel.traceSync(() => {
        this.tellLost(lease, reason);
        message.lost = lease.lostError;
      }, message);
    } else {
      this.tellLost(lease, reason);
    }
    // Told first, then given back: nobody else can hold the key before its holder heard.
    this.context.inFlight.track(lease.driver.release(lease.redisKeys, lease.token));
  }

  /** Aborts the lease's signal and emits `lost`. */
  private tellLost(lease: LeaseLifecycle, reason: LockLostReason): void {
    lease.lose(reason);
    this.emit('lost', () => ({
      ...this.eventBase(lease),
      heldMs: monotonicNow() - lease.acquiredAt,
      error: lease.lostError!,
    }));
  }

  /** What the diagnostics channels say about a lease (built only for subscribers). */
  private leaseMessage(lease: LeaseLifecycle): LeaseMessage {
    return {
      key: lease.key,
      kind: lease.kind,
      fencingToken: lease.fencingToken,
      heldMs: monotonicNow() - lease.acquiredAt,
    };
  }

  private publishRenewal(
    message: ExtendMessage,
    lease: LeaseLifecycle,
    result: OwnedResult | undefined,
    error: unknown,
  ): void {
    if (result === 'ok') return publishSettled(extendChannel, message);
    publishSettled(
      extendChannel,
      message,
      result === undefined
        ? (error ?? new Error('Redis did not answer the renewal'))
        : (lease.lostError ?? new Error(`Redis answered the renewal: ${result}`)),
    );
  }

  private notHeld(lease: LeaseLifecycle): Error {
    return lease.phase === 'lost' ? lease.lostError! : new LockReleasedError(lease.key);
  }

  private emitExtended(lease: LeaseLifecycle, ticket: ExtensionTicket): void {
    this.emit('extended', () => ({
      ...this.eventBase(lease),
      ttl: ticket.ttl,
      automatic: ticket.automatic,
    }));
  }

  private eventBase(lease: LeaseLifecycle): { key: string; token: string; fencingToken: number } {
    return { key: lease.key, token: lease.token.slice(0, 8), fencingToken: lease.fencingToken };
  }

  /** Payloads are built only when someone listens. */
  private emit(event: string, payload: () => unknown): void {
    if (this.context.events.listenerCount(event) > 0) {
      emitSafely(this.context.events, event, payload());
    }
  }
}
