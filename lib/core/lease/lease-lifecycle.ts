import type { LeaseDriver, LeaseParams } from '../backend/lease-driver.interface.js';
import { LockLostError, type LockLostReason } from '../errors/lock-lost.error.js';
import { LockReleasedError } from '../errors/lock-released.error.js';
import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { ListNode } from '../util/linked-list.js';

/**
 * Where a lease is in its life:
 *
 *   held ──release()──▶ releasing ──confirmed──▶ released
 *    │                     │
 *    └──lost (expired, taken, unconfirmed, closed)──▶ lost
 *
 * Extensions (renewals and `extend()`) do not change the phase: any number may be in flight
 * while the lease is held, and their replies are matched to the command that produced them
 * (see {@link ExtensionTicket}). No write of a lease is sent once it left `held`.
 * @internal
 */
export type LeasePhase = 'held' | 'releasing' | 'released' | 'lost';

/**
 * One extension sent to Redis. Redis applies a lease's commands in the order they were sent
 * (one connection per server), so the expiry Redis holds is the one set by the last command it
 * applied: a reply is settled with the ttl of its own command, never with the lease's current
 * one, and a later-sent extension wins over an earlier one whatever order the replies come in.
 * @internal
 */
export interface ExtensionTicket {
  readonly seq: number;
  /** Monotonic ms before the command was written. */
  readonly sentAt: number;
  readonly ttl: number;
  /** End of the validity this command gives once applied (sentAt + ttl − drift). */
  readonly validUntil: number;
  /** `true` for a renewal by the scheduler, `false` for `extend()`. */
  readonly automatic: boolean;
}

/** What the lease was granted with. @internal */
export interface LeaseGrant {
  /** The key, or for a multi-key lock its keys joined with " + ": for messages and events. */
  readonly key: string;
  /** The lock's keys without the prefix, in canonical order. */
  readonly keys: readonly string[];
  /** The lock's keys as Redis names them, in the same order. */
  readonly redisKeys: readonly string[];
  readonly token: string;
  readonly fencingToken: number;
  readonly ttl: number;
  /** Monotonic ms before the acquire that granted it was sent. */
  readonly sentAt: number;
  readonly autoExtend: boolean;
  /** How this lease is renewed and released in Redis. */
  readonly driver: LeaseDriver;
  readonly kind: LeaseKind;
  /** Set for semaphore permits. */
  readonly params: LeaseParams | undefined;
}

/** A lease is due for renewal once this share of its ttl has passed since the last confirmed one. */
const RENEW_AFTER = 1 / 3;

/**
 * The state of one held lease: its phase, and the validity it may be relied on for. Pure: it
 * sends nothing (the `LeaseKeeper` does) and reads no clock (times are passed in), so every
 * transition is unit-tested without Redis or timers.
 *
 * Validity is bounded by every command whose effect is not known: the expiry Redis holds is
 * the one of the last confirmed extension, unless a later-sent one (in flight, or failed
 * without an answer) was applied after it, which may have shortened it. So the lease is valid
 * until the earliest of those.
 * @internal
 */
export class LeaseLifecycle {
  readonly key: string;
  readonly keys: readonly string[];
  readonly redisKeys: readonly string[];
  readonly token: string;
  readonly fencingToken: number;
  readonly acquiredAt: number;
  readonly autoExtend: boolean;
  readonly driver: LeaseDriver;
  readonly kind: LeaseKind;
  readonly params: LeaseParams | undefined;

  /** Its place among the leases the scheduler watches; set and cleared by LeaseScheduler. */
  schedulerNode: ListNode<LeaseLifecycle> | undefined = undefined;

  private currentPhase: LeasePhase = 'held';
  /** The ttl renewals send: the grant's, or the last one `extend(ttl)` asked for. */
  private renewTtl: number;
  /** Numbers the extensions in the order they are sent. */
  private sent = 0;
  /** The last extension Redis confirmed (the grant counts as number 0). */
  private confirmed: Pick<ExtensionTicket, 'seq' | 'sentAt' | 'validUntil'>;
  /**
   * Extensions sent after the confirmed one, not confirmed: seq → the validity each gives.
   * Made by the first extension: most leases are released without one.
   */
  private uncertain: Map<number, number> | undefined;
  /** The renewal in flight, if any: at most one at a time. */
  private renewal: ExtensionTicket | undefined;
  /** When the scheduler should renew next (monotonic ms); Infinity without autoExtend. */
  private nextRenewal: number;
  /**
   * The short ttl of a grant (a lock a release handed to this waiter) until an extension to the
   * lease's own ttl confirms it; undefined once confirmed, or for a lease taken by its caller.
   */
  private unconfirmedGrantTtl: number | undefined;
  private error: LockLostError | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  /** The release in flight, shared by every caller of release(). */
  releasing: Promise<void> | undefined;

  /** @param validUntil end of the validity the grant gives (monotonic ms) */
  constructor(grant: LeaseGrant, validUntil: number) {
    this.key = grant.key;
    this.keys = grant.keys;
    this.redisKeys = grant.redisKeys;
    this.token = grant.token;
    this.fencingToken = grant.fencingToken;
    this.acquiredAt = grant.sentAt;
    this.autoExtend = grant.autoExtend;
    this.driver = grant.driver;
    this.kind = grant.kind;
    this.params = grant.params;
    this.renewTtl = grant.ttl;
    this.confirmed = { seq: 0, sentAt: grant.sentAt, validUntil };
    this.nextRenewal = grant.autoExtend ? grant.sentAt + grant.ttl * RENEW_AFTER : Infinity;
  }

  get phase(): LeasePhase {
    return this.currentPhase;
  }

  /** The ttl, in ms, that renewals use. */
  get ttl(): number {
    return this.renewTtl;
  }

  /** End of the validity window (monotonic ms): the earliest expiry Redis may hold. */
  get expiresAt(): number {
    let until = this.confirmed.validUntil;
    if (this.uncertain === undefined) return until;
    for (const validUntil of this.uncertain.values()) if (validUntil < until) until = validUntil;
    return until;
  }

  /**
   * The grant was a short one (a lock a release handed to this waiter, for the grant ttl the
   * lease was made with): it becomes a lease of `ttl` with its first renewal, which is due a
   * third of the way into the grant ttl whether or not the lease is auto-extended. A lock held
   * for less than that (most are) is released without it: a handoff then costs no extra command.
   */
  deferConfirmation(ttl: number): void {
    this.unconfirmedGrantTtl = this.renewTtl;
    this.renewTtl = ttl;
    this.nextRenewal = this.acquiredAt + this.unconfirmedGrantTtl * RENEW_AFTER;
  }

  /** Whether the scheduler renews this lease: auto-extended, or a grant still to confirm. */
  get renews(): boolean {
    return this.autoExtend || this.unconfirmedGrantTtl !== undefined;
  }

  /** When the scheduler must look at this lease next: its renewal, or the end of its validity. */
  nextEventAt(): number {
    const expiresAt = this.expiresAt;
    if (!this.renews || this.renewal) return expiresAt;
    return Math.min(expiresAt, this.nextRenewal);
  }

  /** Whether the scheduler should send a renewal now (a little early lets renewals batch). */
  isRenewalDue(now: number, earliestShare: number): boolean {
    const dueTtl = this.unconfirmedGrantTtl ?? this.renewTtl;
    return (
      this.currentPhase === 'held' &&
      this.renews &&
      !this.renewal &&
      this.nextRenewal - dueTtl * (RENEW_AFTER - earliestShare) <= now
    );
  }

  isValidAt(now: number): boolean {
    return this.currentPhase === 'held' && now < this.expiresAt;
  }

  get lostError(): LockLostError | undefined {
    return this.error;
  }

  /**
   * Records an extension about to be written. `ttl` is the one the command carries; an explicit
   * one (from `extend(ttl)`) also becomes the ttl of later renewals. Returns undefined once the
   * lease is no longer held: nothing may be written for it then.
   */
  sendExtension(
    ttl: number | undefined,
    sentAt: number,
    validUntil: (sentAt: number, ttl: number) => number,
    automatic: boolean,
  ): ExtensionTicket | undefined {
    if (this.currentPhase !== 'held') return undefined;
    if (ttl !== undefined) this.renewTtl = ttl;
    let sendTtl = ttl ?? this.renewTtl;
    if (automatic && !this.autoExtend && this.unconfirmedGrantTtl !== undefined) {
      // The confirmation of a lease nobody renews: it expires when a lock taken at the moment
      // the lease counts from would have, not a full ttl after the confirmation.
      sendTtl = Math.max(1, Math.floor(sendTtl - (sentAt - this.acquiredAt)));
    }
    const ticket: ExtensionTicket = {
      seq: ++this.sent,
      sentAt,
      ttl: sendTtl,
      validUntil: validUntil(sentAt, sendTtl),
      automatic,
    };
    (this.uncertain ??= new Map()).set(ticket.seq, ticket.validUntil);
    if (automatic) this.renewal = ticket;
    return ticket;
  }

  /**
   * Redis applied the extension. Returns whether the lease is still held (its reply may come
   * after a release began or a loss was declared: it changes nothing then).
   */
  confirmExtension(ticket: ExtensionTicket): boolean {
    this.endRenewal(ticket);
    if (ticket.seq > this.confirmed.seq) {
      this.confirmed = ticket;
      const uncertain = this.uncertain!;
      for (const seq of uncertain.keys()) if (seq <= ticket.seq) uncertain.delete(seq);
      this.unconfirmedGrantTtl = undefined;
      this.nextRenewal = this.autoExtend
        ? ticket.sentAt + this.renewTtl * RENEW_AFTER
        : Number.POSITIVE_INFINITY;
    } else {
      // Applied before the confirmed one: superseded by it.
      this.uncertain!.delete(ticket.seq);
    }
    return this.currentPhase === 'held';
  }

  /**
   * No answer, or an error: Redis may or may not have applied it, so it keeps bounding the
   * validity until a later extension is confirmed. A renewal is tried again soon.
   */
  extensionUnanswered(ticket: ExtensionTicket, now: number): void {
    this.endRenewal(ticket);
    if (!ticket.automatic || !this.renews) return;
    // While the validity lasts: the scheduler declares the lease lost if none gets through.
    const remaining = this.expiresAt - now;
    this.nextRenewal = now + Math.min(1_000, Math.max(25, remaining / 5));
  }

  /** Starts the release: returns false when the lease is not held (released, lost, releasing). */
  beginRelease(): boolean {
    if (this.currentPhase !== 'held') return false;
    this.currentPhase = 'releasing';
    this.renewal = undefined;
    return true;
  }

  /**
   * The release ended: confirmed by Redis, or not confirmed (the key then expires by itself).
   * The signal (if anyone made one) aborts with `LockReleasedError`.
   */
  released(): void {
    if (this.currentPhase === 'released' || this.currentPhase === 'lost') return;
    this.currentPhase = 'released';
    if (this.controller) this.controller.abort(this.reason());
  }

  /**
   * Declares the lease lost and aborts its signal with the `LockLostError`. Returns false when
   * it was already over (released or lost): a lease is lost once.
   */
  lose(reason: LockLostReason, cause?: unknown): boolean {
    if (this.currentPhase === 'released' || this.currentPhase === 'lost') return false;
    this.currentPhase = 'lost';
    this.renewal = undefined;
    this.error = new LockLostError(
      this.key,
      reason,
      this.fencingToken,
      cause === undefined ? { kind: this.kind } : { cause, kind: this.kind },
    );
    this.abortReason = this.error;
    this.controller?.abort(this.error);
    return true;
  }

  /** Created on first use: most leases are released without anyone reading their signal. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.currentPhase === 'released' || this.currentPhase === 'lost') {
        this.controller.abort(this.reason());
      }
    }
    return this.controller.signal;
  }

  private endRenewal(ticket: ExtensionTicket): void {
    if (this.renewal === ticket) this.renewal = undefined;
  }

  private reason(): unknown {
    // Building an Error captures a stack: only worth it when a signal is there to carry it.
    this.abortReason ??= new LockReleasedError(this.key);
    return this.abortReason;
  }
}
