import { QuorumShortfall } from '../quorum/quorum-shortfall.js';
import { ReplicaShortfall } from '../redis/replica-shortfall.js';
import { LockBackendError } from './lock-backend.error.js';
import { LockQuorumError } from './lock-quorum.error.js';
import { LockReplicationError } from './lock-replication.error.js';

/** What the error mapping needs to know of the backend. @internal */
export interface RedisFailureContext {
  readonly keyPrefix: string;
  /** Whether the client can never send a command again (quit by its owner). */
  isClosed(): boolean;
  /**
   * Whether a master may move (Sentinel, Cluster): a READONLY answer is then the moment of a
   * failover and worth retrying; on a plain client it means a replica, for good.
   */
  readonly followsFailover: boolean;
}

/**
 * Turns what a client or a topology reported into the library's errors, and tells the failures
 * worth retrying from those that no retry can mend.
 * @internal
 */
export class RedisFailure {
  constructor(private readonly context: RedisFailureContext) {}

  /**
   * Redis refused the command itself, for good: retrying until the deadline would only hide the
   * cause behind a timeout. Connection trouble and transient states (LOADING, BUSY, TRYAGAIN,
   * CLUSTERDOWN, READONLY during a failover) are retried.
   */
  isFatal(error: unknown): boolean {
    if (this.context.isClosed()) return true;
    if (!(error instanceof Error) || error.name !== 'ReplyError') return false;
    if (/^(WRONGTYPE|NOPERM|ERR|NOSCRIPT|CROSSSLOT)/.test(error.message)) return true;
    return error.message.startsWith('READONLY') && !this.context.followsFailover;
  }

  /** The public error for what a topology reported (quorum or replicas short), or the error. */
  topologyError(key: string, error: unknown): unknown {
    return error instanceof QuorumShortfall || error instanceof ReplicaShortfall
      ? this.backendError(key, 'acquire', error)
      : error;
  }

  backendError(
    key: string,
    operation: LockBackendError['operation'],
    error: unknown,
  ): LockBackendError {
    if (error instanceof QuorumShortfall) {
      return new LockQuorumError(key, operation, error.answered, error.needed, error.masters, {
        cause: error.failures.length === 1 ? error.failures[0] : new AggregateError(error.failures),
        confirmed: error.confirmed,
        outcomes: error.outcomes,
      });
    }
    if (error instanceof ReplicaShortfall) {
      return new LockReplicationError(key, error.acknowledged, error.required, error.timeout);
    }
    const message = errorMessage(error);
    const fail = (text: string): LockBackendError =>
      new LockBackendError(key, operation, text, { cause: error });
    if (message.startsWith('WRONGTYPE')) {
      return fail(
        `Redis key "${this.context.keyPrefix}${key}" exists and is not a lock of this library (a data key or another primitive uses the name). Use another lock key or keyPrefix.`,
      );
    }
    if (message.startsWith('READONLY')) {
      return fail(
        `Redis refused to ${operation} lock "${key}" because the client is connected to a read-only replica (${message}). Point the client at the master, or use Sentinel or a Cluster client so it follows the master.`,
      );
    }
    if (message.startsWith('NOPERM')) {
      return fail(
        `Redis refused to ${operation} lock "${key}": the connection's ACL user lacks a permission (${message}). It needs EVAL/EVALSHA and the lock keys (~${this.context.keyPrefix}*), and &* (or the lock key channels) for wakeups.`,
      );
    }
    if (this.context.isClosed()) {
      return fail(
        `Cannot ${operation} lock "${key}": the Redis client was closed. Close the LockManager before the client, at shutdown.`,
      );
    }
    return fail(
      `Redis failed to ${operation} lock "${key}": ${message}. Check that Redis is reachable.`,
    );
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
