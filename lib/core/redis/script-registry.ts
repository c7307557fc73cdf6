import { createHash } from 'node:crypto';

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

/** SHA-1 of each script text, computed once per process. */
const digests = new Map<string, string>();
/** The name of each script by its digest, for diagnostics (the benchmark's command counts). */
const names = new Map<string, string>();

/**
 * The SHA-1 digest EVALSHA names a script by, remembered with the script's name on clients:
 * `redisLockFairAcquireV2` (`...ShardedV2` for the SPUBLISH text on a Cluster). Versioned, so
 * two versions of this library on one client are told apart in diagnostics; their texts, and
 * so their digests, differ anyway.
 * @internal
 */
export function digestOf(lua: string, definition?: ScriptDefinition, cluster = false): string {
  let sha = digests.get(lua);
  if (sha === undefined) {
    sha = createHash('sha1').update(lua).digest('hex');
    digests.set(lua, sha);
    if (definition) names.set(sha, scriptName(definition, cluster));
  }
  return sha;
}

/** The versioned name of a script on a client. @internal */
export function scriptName(definition: ScriptDefinition, cluster: boolean): string {
  const sharded = typeof definition.lua === 'function' && cluster ? 'Sharded' : '';
  return `redisLock${definition.name}${sharded}V2`;
}

/** The name of the script with this digest, if this process defined it. @internal */
export function scriptNameOf(sha: string): string | undefined {
  return names.get(sha);
}
