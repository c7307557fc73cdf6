/** The command a script announces releases with: SPUBLISH on a Cluster (to the slot's shard only). */
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

/**
 * A Lua command of a Redis driver (plain locks, fair locks, read-write locks, semaphores, and
 * the operators' commands): every script of the library is defined through this shape, and
 * each client adapter runs it (see connection/lock-connection.interface.ts).
 * @internal
 */
export interface ScriptDefinition {
  /** Its name on the client, between the `redisLock` prefix and the version: `FairAcquire`. */
  readonly name: string;
  /** The script, or a function of the command that publishes its wakeups. */
  readonly lua: string | ((publish: PublishCommand) => string);
  /** The number of keys; left out, the caller passes it first. */
  readonly numberOfKeys?: number;
  /** A script that only reads (sent to replicas where the client reads from them). */
  readonly readOnly?: boolean;
}
