import type { LockBackend } from '../backend/lock-backend.interface.js';
import type { PlainLockDriver } from '../redis/plain/plain-lock-driver.js';

/**
 * What a quorum needs of each of its masters: plain locks, whose fencing counter can be raised
 * and whose lost keys can be recreated, and the operators' reads and writes.
 * @internal
 */
export interface QuorumMember extends Pick<
  LockBackend,
  | 'inspect'
  | 'forceRelease'
  | 'scan'
  | 'probe'
  | 'channelPattern'
  | 'createWakeupTransport'
  | 'unreachable'
  | 'isClosed'
  | 'followsFailover'
> {
  readonly plain: Pick<
    PlainLockDriver,
    | 'acquire'
    | 'release'
    | 'extendMany'
    | 'raiseFence'
    | 'heal'
    | 'channelFor'
    | 'attemptAllowanceMs'
  >;
}
