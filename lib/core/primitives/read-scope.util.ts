import { AsyncLocalStorage } from 'node:async_hooks';

/** A read lock held by the current async call chain, inside `ReadWriteLock.withRead()`. */
interface ReadFrame {
  /** The manager's options object: read locks of another manager never count. */
  readonly owner: object;
  readonly key: string;
  readonly parent: ReadFrame | undefined;
}

const reads = new AsyncLocalStorage<ReadFrame>();

/**
 * Runs `fn` with the read lock on `key` recorded for its call chain, so that a write lock asked
 * for inside it is recognised as an upgrade (which would wait for itself) and refused.
 * @internal
 */
export function runReading<T>(owner: object, key: string, fn: () => T): T {
  return reads.run({ owner, key, parent: reads.getStore() }, fn);
}

/** Whether the current call chain is inside `withRead()` on `key` of `owner`. @internal */
export function isReading(owner: object, key: string): boolean {
  for (let frame = reads.getStore(); frame; frame = frame.parent) {
    if (frame.owner === owner && frame.key === key) return true;
  }
  return false;
}
