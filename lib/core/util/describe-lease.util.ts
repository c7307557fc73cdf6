import type { LeaseKind } from '../interfaces/lease-kind.interface.js';

/**
 * How messages name a lease of `kind` on `key`: `lock "a"`, `read lock "a"`,
 * `a permit of semaphore "a"`.
 * @internal
 */
export function describeLease(kind: LeaseKind, key: string): string {
  switch (kind) {
    case 'lock':
      return `lock "${key}"`;
    case 'read-lock':
      return `read lock "${key}"`;
    case 'write-lock':
      return `write lock "${key}"`;
    case 'permit':
      return `a permit of semaphore "${key}"`;
  }
}
