import type {
  AcquireReply,
  ExtendRequest,
  LeaseDriver,
  LeaseParams,
  OwnedResult,
} from '../backend/lease-driver.interface.js';
import type { RedisKeyspace } from './redis-keyspace.js';
import type { LockConnection } from './connection/lock-connection.interface.js';
import type { ScriptDefinition } from './script-registry.js';
import { releaseMarkArg } from './lua/release-mark.lua.js';

/**
 * What the Redis drivers of every primitive share: their Lua commands defined once per client
 * through its connection adapter, the keyspace that names their keys, renewal of one lease
 * through the batch, and the wakeup channels.
 * @internal
 */
export abstract class ScriptLeaseDriver<Scripts extends object> implements LeaseDriver {
  protected readonly scripts: Scripts;
  /** The last argument of every release script: whether it leaves a mark (release-mark.lua.ts). */
  protected readonly releaseMark: '0' | '1';

  protected constructor(
    connection: LockConnection,
    protected readonly keyspace: RedisKeyspace,
    definitions: { readonly [K in keyof Scripts]: ScriptDefinition },
  ) {
    this.scripts = connection.defineScripts<Scripts>(definitions);
    this.releaseMark = releaseMarkArg(connection);
  }

  abstract acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
    params?: LeaseParams,
  ): Promise<AcquireReply>;

  abstract release(redisKeys: readonly string[], token: string): Promise<OwnedResult>;

  abstract extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]>;

  async extend(request: ExtendRequest): Promise<OwnedResult> {
    return (await this.extendMany([request]))[0]!;
  }

  channelFor(redisKey: string): string {
    return this.keyspace.channelFor(redisKey);
  }

  /** A refusal whose script answered with how long the current holders keep the lease, in ms. */
  protected denied(holderTtl: unknown): AcquireReply {
    return { acquired: false, holderTtl: Number(holderTtl), blockedBy: 0 };
  }
}
