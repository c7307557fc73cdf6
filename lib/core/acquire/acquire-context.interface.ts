import type { EventEmitter } from 'node:events';
import type { RedisFailure } from '../errors/redis-failure.js';
import type { LeaseKeeper } from '../lease/lease-keeper.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';
import type { DeadlineWatch } from '../util/deadline-watch.js';
import type { InFlight } from '../util/in-flight.js';
import type { LinkedList } from '../util/linked-list.js';
import type { WakeupHub } from '../wakeup/wakeup-hub.js';

/** What one call needs from its manager. @internal */
export interface AcquireContext {
  readonly options: ResolvedLockManagerOptions;
  readonly hub: WakeupHub;
  readonly keeper: LeaseKeeper;
  readonly deadlines: DeadlineWatch;
  readonly inFlight: InFlight;
  readonly failures: RedisFailure;
  readonly events: EventEmitter;
  /** The calls under way (close() cancels them): a call is in it from its start to its end. */
  readonly calls: LinkedList<{ cancel(): void }>;
  /** The channel a release of `redisKey` is announced on (for the first key of any request). */
  channelFor(redisKey: string): string;
  /**
   * Why Redis cannot be reached right now (the client is reconnecting, closed), or undefined:
   * an attempt is then not sent, and fails at once as Redis would have failed it.
   */
  unreachable(): string | undefined;
}
