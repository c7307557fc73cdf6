import type { LeaseKind } from '../interfaces/lease-kind.interface.js';
import type { LeaseHost } from '../lease.js';
import { Lock } from '../lock.js';
import { Permit } from '../permit.js';
import { ReadLock } from '../read-lock.js';
import type { LeaseLifecycle } from './lease-lifecycle.js';

/**
 * The handle a held lease of kind `K` is given to its holder as: a `Lock` for a lock or a write
 * lock, a `ReadLock`, or a `Permit`.
 * @internal
 */
export type LeaseOf<K extends LeaseKind> = K extends 'read-lock'
  ? ReadLock
  : K extends 'permit'
    ? Permit
    : Lock;

/**
 * Makes the handle of a held lease, of the class its kind names.
 * @internal
 */
export function createHandle<K extends LeaseKind>(
  kind: K,
  lease: LeaseLifecycle,
  host: LeaseHost,
): LeaseOf<K> {
  // TypeScript does not narrow K by comparing `kind`: each branch returns what LeaseOf<K> is
  // for the kind it checked, which the one assertion below states.
  const handle =
    kind === 'read-lock'
      ? ReadLock.create(lease, host)
      : kind === 'permit'
        ? Permit.create(lease, host)
        : Lock.create(lease, host);
  return handle as LeaseOf<K>;
}
