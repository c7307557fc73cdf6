/**
 * Coordinator → agent: take the lock on `key` (or one permit of the semaphore `key`, or queue for
 * it), or release the one taken last.
 */
export type ToAgent =
  | { readonly type: 'acquire'; readonly key: string }
  | { readonly type: 'release' }
  | { readonly type: 'stop' };

/**
 * Agent → coordinator. `waiting`: the agent's first attempt was executed by Redis and did not get
 * the lock, so the agent is now waiting (queued, for a library with a queue). Times are
 * monotonic ms, comparable between processes.
 */
export type FromAgent =
  | { readonly type: 'ready'; readonly waiterTtlMs: number | undefined }
  | { readonly type: 'waiting' }
  | { readonly type: 'acquired'; readonly acquiredAt: number }
  | { readonly type: 'released'; readonly releasedAt: number }
  | { readonly type: 'error'; readonly message: string };
