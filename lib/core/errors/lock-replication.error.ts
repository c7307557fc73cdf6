import { LockBackendError } from './lock-backend.error.js';

/**
 * With `waitForReplicas` and `onShortfall: 'fail'`: fewer replicas than required acknowledged
 * the acquisition within the timeout, so the lock was released again instead of being returned.
 *
 * A failover right now could promote a replica that never saw the lock. `acquire()` retries
 * until its `waitTimeout` and then throws `LockTimeoutError` with this error as `cause`;
 * `tryAcquire()` throws it directly.
 * @publicApi
 */
export class LockReplicationError extends LockBackendError {
  constructor(
    key: string,
    /** Replicas that acknowledged the acquisition (the reply of `WAIT`). */
    readonly acknowledged: number,
    /** `waitForReplicas.replicas`. */
    readonly required: number,
    /** `waitForReplicas.timeout`, in milliseconds. */
    readonly timeout: number,
    options?: { cause?: unknown },
  ) {
    super(
      key,
      'acquire',
      `Lock "${key}" was acquired but only ${acknowledged} of ${required} required replicas acknowledged it within ${timeout} ms, so it was released again. ` +
        'Check the replicas (INFO replication), lower waitForReplicas.replicas, raise its timeout, or use onShortfall: "report".',
      options,
    );
  }
}
