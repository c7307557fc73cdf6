import type {
  AcquireReply,
  ExtendRequest,
  LeaseDriver,
  LeaseParams,
  OwnedResult,
} from '../backend/lease-driver.interface.js';
import type { MemoryKeyspace, StoreOwned } from './memory-keyspace.js';
import { memoryChannel } from './memory-reply.util.js';

/**
 * What the in-memory drivers of plain locks, semaphores, read locks and write locks share:
 * their keyspace, renewal one lease at a time (every answer is immediate), and the channels.
 * @internal
 */
export abstract class MemoryLeaseDriver implements LeaseDriver {
  readonly channelFor = memoryChannel;

  constructor(protected readonly space: MemoryKeyspace) {}

  abstract acquire(
    redisKeys: readonly string[],
    token: string,
    ttl: number,
    owner: string,
    params?: LeaseParams,
    waiter?: string,
  ): Promise<AcquireReply>;

  abstract release(redisKeys: readonly string[], token: string): Promise<OwnedResult>;

  /** The owner-checked renewal of one lease, answered at once. */
  protected abstract extendOne(request: ExtendRequest): StoreOwned;

  async extend(request: ExtendRequest): Promise<OwnedResult> {
    return this.extendOne(request);
  }

  async extendMany(requests: readonly ExtendRequest[]): Promise<OwnedResult[]> {
    return requests.map((request) => this.extendOne(request));
  }
}
