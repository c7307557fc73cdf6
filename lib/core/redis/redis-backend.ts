import type { PrimitiveDriverSet } from '../backend/lease-driver.interface.js';
import type {
  LockBackend,
  RawLockInfo,
  WakeupTransport,
} from '../backend/lock-backend.interface.js';
import type { LockHealth } from '../interfaces/lock-health.interface.js';
import type { ResolvedLockManagerOptions } from '../options/resolve-manager-options.js';
import { forceReleaseScript } from './operator/force-release.script.js';
import { INSPECT_SCRIPT } from './operator/inspect.script.js';
import { scanKeys } from './operator/scan-keys.util.js';
import { PlainLockDriver } from './plain/plain-lock-driver.js';
import type { LockConnection } from './connection/lock-connection.interface.js';
import { probeClient } from './probe.util.js';
import { RedisKeyspace } from './redis-keyspace.js';
import { RedisPrimitiveDrivers } from './redis-primitive-drivers.js';

/** The operators' commands (inspect, force release). */
interface OperatorScripts {
  inspect(lockKey: string): Promise<[number, number?, string?, string?]>;
  forceRelease(lockKey: string, ...fencingToken: number[]): Promise<number>;
}

/** @internal */
export interface RedisBackendConfig {
  readonly keyPrefix: string;
  /** How long a waiter of a fair lock (or a writer) keeps its place in a queue, in ms. */
  readonly placeTtl: number;
  /** A pub/sub connection the user gave (`subscriber`), which stays theirs. */
  readonly subscriber: LockConnection | undefined;
  readonly waitForReplicas: ResolvedLockManagerOptions['waitForReplicas'];
}

/**
 * Locks on one Redis server (standalone, or the master a Sentinel client follows) or on a
 * Redis Cluster, through any client a connection adapter wraps (ioredis, iovalkey, node-redis):
 * a driver per primitive over one keyspace (see redis-keyspace.ts), and the operators' reads
 * and writes.
 * @internal
 */
export class RedisBackend implements LockBackend {
  readonly plain: PlainLockDriver;
  readonly keyspace: RedisKeyspace;
  private readonly scripts: OperatorScripts;
  private readonly subscriber: LockConnection | undefined;
  private readonly placeTtl: number;
  private drivers: RedisPrimitiveDrivers | undefined;

  constructor(
    private readonly client: LockConnection,
    config: RedisBackendConfig,
  ) {
    this.keyspace = new RedisKeyspace(config.keyPrefix, client.keyPrefix, client.cluster);
    this.plain = new PlainLockDriver(client, this.keyspace, config.waitForReplicas);
    this.scripts = client.defineScripts<OperatorScripts>({
      inspect: { name: 'Inspect', numberOfKeys: 1, lua: INSPECT_SCRIPT, readOnly: true },
      forceRelease: { name: 'ForceRelease', numberOfKeys: 1, lua: forceReleaseScript },
    });
    this.subscriber = config.subscriber;
    this.placeTtl = config.placeTtl;
  }

  primitives(): PrimitiveDriverSet {
    this.drivers ??= new RedisPrimitiveDrivers(
      this.client,
      this.keyspace,
      this.placeTtl,
      this.plain,
    );
    return this.drivers;
  }

  async inspect(redisKey: string): Promise<RawLockInfo> {
    const [held, ttl, fence, owner] = await this.scripts.inspect(redisKey);
    if (held !== 1) return { held: false, ttl: null, fencingToken: null, owner: null };
    return {
      held: true,
      ttl: Number(ttl),
      fencingToken: Number(fence),
      owner: owner ? owner : null,
    };
  }

  async forceRelease(redisKey: string, fencingToken?: number): Promise<boolean> {
    const only = fencingToken === undefined ? [] : [fencingToken];
    return (await this.scripts.forceRelease(redisKey, ...only)) === 1;
  }

  scan(match: string, count: number): AsyncIterable<readonly string[]> {
    return scanKeys(this.client, match, count);
  }

  probe(timeout: number): Promise<LockHealth> {
    return probeClient(this.client, timeout, {
      keyPrefix: this.keyspace.keyPrefix,
      clientPrefix: this.keyspace.clientPrefix,
    });
  }

  channelPattern(): string {
    return this.keyspace.channelPattern();
  }

  createWakeupTransport(): WakeupTransport {
    return this.subscriber
      ? this.subscriber.borrowWakeupTransport()
      : this.client.openWakeupTransport();
  }

  isClosed(): boolean {
    return this.client.isClosed();
  }

  unreachable(): string | undefined {
    return this.client.unreachable();
  }

  get followsFailover(): boolean {
    return this.client.topology !== 'standalone';
  }
}
