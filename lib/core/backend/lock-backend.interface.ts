/**
 * Result of one acquire attempt.
 * @internal
 */
export type AcquireReply =
  | { readonly acquired: true; readonly fencingToken: number }
  | { readonly acquired: false; readonly holderTtl: number };

/**
 * Result of an owner-checked operation (release, extend): done, the key is gone, or another
 * holder has it.
 * @internal
 */
export type OwnedResult = 'ok' | 'expired' | 'taken';

/** @internal */
export interface ExtendRequest {
  readonly redisKey: string;
  readonly token: string;
  readonly ttl: number;
}

/** @internal */
export interface RawLockInfo {
  readonly held: boolean;
  readonly ttl: number | null;
  readonly fencingToken: number | null;
  readonly owner: string | null;
}

/**
 * The connection waiters listen on for release announcements.
 * @internal
 */
export interface WakeupTransport {
  subscribe(channels: readonly string[]): Promise<void>;
  unsubscribe(channels: readonly string[]): Promise<void>;
  /** Whether announcements are being received right now (false while reconnecting). */
  isReady(): boolean;
  /** `onMessage(channel)` for each announcement; `onReconnect()` when announcements may have been missed. */
  listen(onMessage: (channel: string) => void, onReconnect: () => void): void;
  close(): Promise<void>;
}

/**
 * Where locks live. One implementation per topology; the manager adds waiting, validity,
 * renewal and events on top, the same for all of them.
 * @internal
 */
export interface LockBackend {
  acquire(redisKey: string, token: string, ttl: number, owner: string): Promise<AcquireReply>;
  release(redisKey: string, token: string): Promise<OwnedResult>;
  extend(redisKey: string, token: string, ttl: number): Promise<OwnedResult>;
  /** Extends many locks in as few round trips as the topology allows. */
  extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]>;
  inspect(redisKey: string): Promise<RawLockInfo>;
  forceRelease(redisKey: string): Promise<boolean>;
  /** The channel a release of `redisKey` is announced on, as the wakeup transport names it. */
  channelFor(redisKey: string): string;
  createWakeupTransport(): WakeupTransport;
  /** Whether the client can never send a command again (quit by its owner). */
  isClosed(): boolean;
}
