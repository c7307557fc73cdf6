import type { WakeupTransport } from '../backend/lock-backend.interface.js';
import { createLockToken } from '../util/token.util.js';

/**
 * How a wait for a release announcement ended. `granted`: a release handed the lock straight
 * to this waiter (its fencing token went to the wait's `onGrant`).
 * @internal
 */
export type WaitOutcome = 'woken' | 'timeout' | 'aborted' | 'closed' | 'granted';

interface Waiter {
  /** Set for waiters that are woken by name (fair queues): see `wait()`. */
  readonly address: string | undefined;
  readonly onGrant: ((fencingToken: number) => void) | undefined;
  settle(outcome: WaitOutcome): void;
}

/** An announcement that names the waiter whose turn it is: `next:<waiter id>`. */
const ADDRESSED = 'next:';
/** An announcement that the lock was handed to a waiter: `grant:<waiter id>:<fencing token>`. */
const GRANTED = 'grant:';

interface ChannelState {
  members: number;
  /** Counts announcements, so an attempt in flight can tell that one arrived meanwhile. */
  generation: number;
  subscription: 'none' | 'pending' | 'active';
  ready: Promise<void> | undefined;
  /** FIFO of waiters: a Set keeps insertion order and removes in O(1). */
  waiters: Set<Waiter>;
  /**
   * Grants that named a waiter not waiting right then (mid-attempt, or about to wait): waiter
   * id -> fencing token, so that waiter need not send another attempt to learn of it.
   */
  unclaimed: Map<string, number> | undefined;
  idleSince: number;
  /** Set on a hub's own channel of one lock: its announcements count as that lock's, here. */
  routeTo: ChannelState | undefined;
}

/** Unclaimed grants kept per channel: they may name waiters of other processes. */
const MAX_UNCLAIMED = 64;

/**
 * One pub/sub connection per manager, shared by all its waiters.
 *
 * Each channel (one per waited-for lock) is subscribed while someone waits on it and a little
 * longer, so bursts of contention do not churn SUBSCRIBE/UNSUBSCRIBE. An announcement wakes one
 * waiter of this process: the others would only lose the race to it. An announcement that names
 * a waiter (`next:<id>`, from a fair queue) wakes that waiter if it is in this process, and
 * nobody else. The connection itself is closed once no channel has been needed for `idleMs`, so
 * an idle process can exit.
 *
 * A queued waiter also listens on its manager's own channel of the lock (`ownChannel` of
 * `join()`): an announcement that names a waiter (a grant, `next:`) goes there, to the manager
 * whose hub `id` starts the waiter id, so only that manager wakes for it, however many managers
 * wait on the lock. The lock channel still carries the rest (a plain caller's release of the
 * same key, a reader's `free`, announcements of a release that predates per-manager channels).
 * @internal
 */
export class WakeupHub {
  /**
   * Names this hub in waiter ids (`<id>.<n>`) and in its own channels of locks: 48 random bits,
   * hex, so the scripts can read it back from a waiter id.
   */
  readonly id = createLockToken().slice(0, 12);
  private waiterCount = 0;
  private transport: WakeupTransport | undefined;
  private readonly channels = new Map<string, ChannelState>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private reconnectCount = 0;
  /** Set once Redis refused a subscription for want of permission: waiters poll from then on. */
  private denied: Error | undefined;

  constructor(
    private readonly createTransport: () => WakeupTransport,
    private readonly idleMs = 2_000,
    /** Told once when Redis refuses the subscriptions (ACL): the caller warns the operator. */
    private readonly onDenied: (error: Error) => void = () => undefined,
  ) {}

  /**
   * How many times the pub/sub connection came back: announcements made while it was down are
   * lost, so a caller that saw this change during an attempt must look again.
   */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Why announcements are not listened to (Redis refused them), if they are not. */
  get deniedBy(): Error | undefined {
    return this.denied;
  }

  /**
   * A waiter id for announcements that name a waiter (fair queues, writers): `<hub id>.<n>`,
   * unique within this hub. Independent of the owner token, which an announcement must never
   * reveal (anyone subscribed could then release the lock).
   */
  nextWaiterId(): string {
    return `${this.id}.${(++this.waiterCount).toString(36)}`;
  }

  /**
   * Starts listening on `channel` for as long as the membership is kept, and on `ownChannel`
   * too when given (this hub's own channel of the same lock: see the class comment).
   */
  join(channel: string, ownChannel?: string): Membership {
    if (this.closed) return new Membership(this, channel, this.closedState(), undefined);
    const state = this.enter(channel);
    let own: ChannelState | undefined;
    if (ownChannel !== undefined) {
      own = this.enter(ownChannel);
      // Set on every join: the lock's state may have been swept and made anew meanwhile.
      own.routeTo = state;
    }
    return new Membership(this, channel, state, own);
  }

  private enter(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      state = {
        members: 0,
        generation: 0,
        subscription: 'none',
        ready: undefined,
        waiters: new Set(),
        unclaimed: undefined,
        idleSince: 0,
        routeTo: undefined,
      };
      this.channels.set(channel, state);
    }
    state.members++;
    if (state.subscription === 'none' && !this.denied) this.subscribe(channel, state);
    return state;
  }

  /** Whether no channel is listened to or kept: then none is, and every generation is 0. */
  get empty(): boolean {
    return this.channels.size === 0;
  }

  /**
   * Whether `channel` is listened to right now, and (generationOf) its announcement count: a
   * caller that sees it listened to before sending an attempt, and the count unchanged after a
   * failed one, has missed no release and need not look again before waiting.
   */
  isListening(channel: string, ownChannel?: string): boolean {
    const state = this.channels.get(channel);
    if (state === undefined || !this.isActive(state)) return false;
    if (ownChannel === undefined) return true;
    const own = this.channels.get(ownChannel);
    return own !== undefined && this.isActive(own);
  }

  generationOf(channel: string): number {
    return this.channels.get(channel)?.generation ?? 0;
  }

  /** @internal */
  isActive(state: ChannelState): boolean {
    return state.subscription === 'active' && this.transport?.isReady() === true;
  }

  /** @internal */
  leave(state: ChannelState): void {
    state.members--;
    if (state.members === 0) {
      state.idleSince = Date.now();
      this.scheduleSweep();
    }
  }

  /** Wakes the first waiter of a channel, if any. @internal */
  wakeOne(state: ChannelState): void {
    const first = state.waiters.values().next();
    if (!first.done) first.value.settle('woken');
  }

  /** @internal */
  wait(
    state: ChannelState,
    ms: number,
    signal: AbortSignal | undefined,
    address: string | undefined,
    first = false,
    onGrant?: (fencingToken: number) => void,
  ): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve('closed');
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const onAbort = (): void => waiter.settle('aborted');
      const timer = setTimeout(() => waiter.settle('timeout'), ms);
      const waiter: Waiter = {
        address,
        onGrant,
        settle: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          state.waiters.delete(waiter);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (first && state.waiters.size > 0) {
        // Back to the head of the line: a waiter woken for a release it then lost to another
        // process keeps its turn in this one.
        const behind = [...state.waiters];
        state.waiters.clear();
        state.waiters.add(waiter);
        for (const other of behind) state.waiters.add(other);
      } else {
        state.waiters.add(waiter);
      }
    });
  }

  /** Ends every wait and closes the connection this hub opened. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const state of this.channels.values()) {
      for (const waiter of [...state.waiters]) waiter.settle('closed');
    }
    const transport = this.transport;
    const active = [...this.channels.keys()];
    this.channels.clear();
    this.transport = undefined;
    if (transport) {
      // Not awaited: on a connection that is down it would wait for a reconnect forever.
      if (active.length > 0) transport.unsubscribe(active).catch(() => undefined);
      await transport.close();
    }
  }

  private closedState(): ChannelState {
    return {
      members: 1,
      generation: 0,
      subscription: 'none',
      ready: Promise.resolve(),
      waiters: new Set(),
      unclaimed: undefined,
      idleSince: 0,
      routeTo: undefined,
    };
  }

  private connection(): WakeupTransport {
    if (!this.transport) {
      const transport = this.createTransport();
      transport.listen(
        (channel, message) => this.onMessage(channel, message),
        () => this.onReconnect(),
      );
      this.transport = transport;
    }
    return this.transport;
  }

  private subscribe(channel: string, state: ChannelState): void {
    state.subscription = 'pending';
    state.ready = this.connection()
      .subscribe([channel])
      .then(
        () => {
          if (state.subscription === 'pending') state.subscription = 'active';
        },
        (error: unknown) => {
          // Waiters keep polling; the next join tries to subscribe again, unless Redis refused
          // for want of permission, which no retry mends.
          if (state.subscription === 'pending') state.subscription = 'none';
          if (isPermissionError(error)) this.deny(error);
        },
      );
  }

  /** No subscription from now on: every waiter polls. The connection is closed. */
  private deny(error: Error): void {
    if (this.denied || this.closed) return;
    this.denied = error;
    const transport = this.transport;
    this.transport = undefined;
    for (const state of this.channels.values()) state.subscription = 'none';
    if (transport) void transport.close().catch(() => undefined);
    this.onDenied(error);
  }

  private onMessage(channel: string, message: string): void {
    let state = this.channels.get(channel);
    if (!state) return;
    state = state.routeTo ?? state;
    state.generation++;
    if (message.startsWith(GRANTED)) {
      // Only the waiter named takes it; one mid-attempt finds its grant with that attempt.
      const [address, fence] = message.slice(GRANTED.length).split(':');
      for (const waiter of state.waiters) {
        if (waiter.address !== address) continue;
        waiter.onGrant?.(Number(fence));
        return waiter.settle(waiter.onGrant ? 'granted' : 'woken');
      }
      if (address !== undefined) this.keepUnclaimed(state, address, Number(fence));
      return;
    }
    if (!message.startsWith(ADDRESSED)) return this.wakeOne(state);
    const address = message.slice(ADDRESSED.length);
    for (const waiter of state.waiters) {
      if (waiter.address === address) return waiter.settle('woken');
    }
  }

  private keepUnclaimed(state: ChannelState, address: string, fence: number): void {
    const unclaimed = (state.unclaimed ??= new Map());
    unclaimed.set(address, fence);
    if (unclaimed.size > MAX_UNCLAIMED) unclaimed.delete(unclaimed.keys().next().value!);
  }

  /** @internal */
  claimGrant(state: ChannelState, address: string): number | undefined {
    const fence = state.unclaimed?.get(address);
    if (fence !== undefined) state.unclaimed!.delete(address);
    return fence;
  }

  private onReconnect(): void {
    this.reconnectCount++;
    for (const state of this.channels.values()) {
      // An own channel's announcements count on its lock's state, bumped here on its own.
      if (state.routeTo) continue;
      state.generation++;
      this.wakeOne(state);
    }
  }

  private scheduleSweep(): void {
    if (this.sweepTimer || this.closed) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      void this.sweep();
    }, this.idleMs);
    // An idle subscription must not keep the process alive by itself.
    this.sweepTimer.unref();
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    const stale: string[] = [];
    let stillIdle = false;
    for (const [channel, state] of this.channels) {
      if (state.members > 0 || state.subscription === 'pending') continue;
      if (now - state.idleSince >= this.idleMs) {
        stale.push(channel);
        this.channels.delete(channel);
      } else {
        stillIdle = true;
      }
    }
    const transport = this.transport;
    if (this.channels.size === 0 && transport) {
      // Nothing to listen to: close the connection so an idle process can exit.
      this.transport = undefined;
      transport.unsubscribe(stale).catch(() => undefined);
      await transport.close().catch(() => undefined);
      return;
    }
    if (stale.length > 0 && transport) transport.unsubscribe(stale).catch(() => undefined);
    if (stillIdle) this.scheduleSweep();
  }
}

/** NOPERM: an ACL user without the channels (`&...`) or without the pub/sub commands. */
function isPermissionError(error: unknown): error is Error {
  return error instanceof Error && error.message.startsWith('NOPERM');
}

/**
 * A caller's interest in one channel: wait on it, and leave when done.
 * @internal
 */
export class Membership {
  private left = false;

  constructor(
    private readonly hub: WakeupHub,
    readonly channel: string,
    private readonly state: ChannelState,
    /** This hub's own channel of the lock, listened to as well. */
    private readonly own: ChannelState | undefined,
  ) {}

  /** Whether announcements on this channel (and the hub's own channel, if any) reach us right now. */
  get active(): boolean {
    return this.hub.isActive(this.state) && (this.own === undefined || this.hub.isActive(this.own));
  }

  /** Number of announcements received so far on this channel. */
  get generation(): number {
    return this.state.generation;
  }

  /** Resolves once the subscription is confirmed, or has failed (waiters then poll). */
  ready(): Promise<void> {
    const ready = this.state.ready ?? Promise.resolve();
    const ownReady = this.own?.ready;
    // Neither rejects: a failed subscription settles them too (the waiters then poll).
    return ownReady === undefined ? ready : Promise.all([ready, ownReady]).then(() => undefined);
  }

  /**
   * Waits for an announcement, at most `ms`. A waiter with an `address` is also woken by the
   * announcements that name it, and told through `onGrant` of a lock handed straight to it;
   * `first` puts the caller at the head of the line.
   */
  wait(
    ms: number,
    signal: AbortSignal | undefined,
    address?: string,
    first = false,
    onGrant?: (fencingToken: number) => void,
  ): Promise<WaitOutcome> {
    return this.hub.wait(this.state, ms, signal, address, first, onGrant);
  }

  /**
   * The fencing token of a grant that named `address` while it was not waiting (it was
   * sending an attempt), taken out so it is claimed once; undefined when there is none.
   */
  claimGrant(address: string): number | undefined {
    return this.hub.claimGrant(this.state, address);
  }

  /** Hands a wakeup this caller will not use to the next waiter. */
  passOn(): void {
    this.hub.wakeOne(this.state);
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    this.hub.leave(this.state);
    if (this.own) this.hub.leave(this.own);
  }
}
