/**
 * Replication check after each acquisition (`LockManagerOptions.waitForReplicas`): the acquire
 * script and `WAIT replicas timeout` go to the master in one round trip, and the lock is only
 * returned once `replicas` replicas have acknowledged it, or as the shortfall policy says.
 *
 * `WAIT` narrows the failover window; it does not close it. It makes a lock survive the
 * failover to an acknowledging replica, but Redis replication stays asynchronous: a failover
 * can still promote a replica that did not acknowledge (Sentinel and Cluster pick the most
 * up-to-date replica they can reach, not necessarily one that acknowledged), and renewals are
 * not waited for. Use fencing tokens where correctness matters.
 *
 * @example
 * new LockManager(sentinelClient, {
 *   waitForReplicas: { replicas: 1, timeout: 100, onShortfall: 'fail' },
 * });
 * @publicApi
 */
export interface WaitForReplicasOptions {
  /** How many replicas must acknowledge the acquisition (a whole number, at least 1). */
  replicas: number;
  /**
   * Longest wait for the acknowledgements, in milliseconds (a whole number from 1; `WAIT`'s
   * "0 = forever" is not accepted: a dead replica would hang every acquire).
   * @default 100
   */
  timeout?: number;
  /**
   * What to do when fewer replicas acknowledged in time:
   * - `'fail'`: release the lock and treat the attempt as failed (`LockReplicationError`;
   *   `acquire()` retries until its `waitTimeout`);
   * - `'report'`: return the lock anyway and emit a `replicaShortfall` event.
   * @default 'fail'
   */
  onShortfall?: 'fail' | 'report';
}
