import type { Cluster, Redis } from 'ioredis';
import { closeClient } from '../util/close-client.util.js';
import type { WakeupTransport } from './lock-backend.interface.js';

/**
 * Release announcements over one dedicated pub/sub connection: SUBSCRIBE on a single Redis,
 * SSUBSCRIBE (sharded pub/sub, Redis 7) on a Cluster, so a release is only sent to the shard
 * that owns the lock's slot.
 * @internal
 */
export class RedisWakeupTransport implements WakeupTransport {
  private readonly detach: Array<() => void> = [];

  constructor(
    private readonly connection: Redis | Cluster,
    private readonly sharded: boolean,
    private readonly owned: boolean,
  ) {}

  async subscribe(channels: readonly string[]): Promise<void> {
    if (this.sharded) await this.connection.ssubscribe(...channels);
    else await this.connection.subscribe(...channels);
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    if (this.sharded) await this.connection.sunsubscribe(...channels);
    else await this.connection.unsubscribe(...channels);
  }

  isReady(): boolean {
    return this.connection.status === 'ready';
  }

  listen(onMessage: (channel: string, message: string) => void, onReconnect: () => void): void {
    if (this.detach.length > 0) return;
    const messageEvent = this.sharded ? 'smessage' : 'message';
    const handleMessage = (channel: string, message: string): void => onMessage(channel, message);
    let connectedOnce = this.connection.status === 'ready';
    const handleReady = (): void => {
      // ioredis re-subscribes after a reconnect, but announcements sent while it was down are
      // gone: let the waiters check again.
      if (connectedOnce) onReconnect();
      connectedOnce = true;
    };
    this.connection.on(messageEvent, handleMessage);
    this.connection.on('ready', handleReady);
    this.detach.push(() => this.connection.off(messageEvent, handleMessage));
    this.detach.push(() => this.connection.off('ready', handleReady));
    if (this.owned) {
      // Without a listener an 'error' event would crash the process; ioredis reconnects by
      // itself and waiters poll meanwhile.
      const ignore = (): void => undefined;
      this.connection.on('error', ignore);
      this.detach.push(() => this.connection.off('error', ignore));
    }
  }

  async close(): Promise<void> {
    if (this.owned) await closeClient(this.connection);
    for (const detach of this.detach.splice(0)) detach();
  }
}
