import type { LockKey } from '../core/lock-manager.js';

/**
 * What a call chain enters: a lock (plain or fair: `fair` is an acquire option), a side of a
 * read-write lock, or permits of a semaphore.
 * @internal
 */
export type LeaseTarget =
  | { readonly kind: 'lock'; readonly key: LockKey }
  | { readonly kind: 'read-lock' | 'write-lock'; readonly key: string }
  | {
      readonly kind: 'permit';
      readonly key: string;
      readonly permits: number;
    };
