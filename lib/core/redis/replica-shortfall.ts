/**
 * Thrown by a backend with `waitForReplicas` and `onShortfall: 'fail'` after it released a lock
 * too few replicas acknowledged; the manager turns it into a `LockReplicationError`.
 * @internal
 */
export class ReplicaShortfall extends Error {
  constructor(
    readonly acknowledged: number,
    readonly required: number,
    readonly timeout: number,
  ) {
    super(`${acknowledged} of ${required} replicas acknowledged within ${timeout} ms`);
    this.name = 'ReplicaShortfall';
  }
}
