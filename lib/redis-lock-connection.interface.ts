import type { LockTarget } from './core/lock-manager.js';

/**
 * The client(s) the module locks with, and whether the module created them (then it closes
 * them on shutdown). Not part of the public API (named by the service's constructor, so not
 * stripped from its declarations).
 */
export interface RedisLockConnection {
  /** One client, or the clients of a quorum. */
  readonly client: LockTarget;
  readonly owned: boolean;
}
