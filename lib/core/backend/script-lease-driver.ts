import type { LeaseDriver, LeaseParams } from './lease-driver.interface.js';
import type { AcquireReply, ExtendRequest, OwnedResult } from './lock-backend.interface.js';
import type { RedisBackend } from './redis-backend.js';
import { defineScripts, type ScriptDefinition } from './script-commands.util.js';

/**
 * What the Redis drivers of fair locks, semaphores, read locks and write locks share: their Lua
 * commands defined once per client, renewal of one lease through the batch script, and the
 * backend's wakeup channels.
 * @internal
 */
export abstract class ScriptLeaseDriver<Scripts extends object> implements LeaseDriver {
  protected readonly scripts: Scripts;

  protected constructor(
    protected readonly backend: RedisBackend,
    definitions: { readonly [K in keyof Scripts]: ScriptDefinition },
  ) {
    this.scripts = defineScripts<Scripts>(backend.client, backend.isCluster, definitions);
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
    return this.backend.channelFor(redisKey);
  }

  /** A refusal whose script answered with how long the current holders keep the lease, in ms. */
  protected denied(holderTtl: unknown): AcquireReply {
    return { acquired: false, holderTtl: Number(holderTtl), blockedBy: 0 };
  }
}
