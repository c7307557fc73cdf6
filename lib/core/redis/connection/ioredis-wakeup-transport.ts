import type { Cluster, Redis } from 'ioredis';
import { closeClient } from '../../util/close-client.util.js';
import type { WakeupTransport } from '../../backend/lock-backend.interface.js';

/**
 * Release announcements over one dedicated pub/sub connection: SUBSCRIBE on a single Redis,
 * SSUBSCRIBE (sharded pub/sub, Redis 7) on a Cluster, so a release is only sent to the shard
 * that owns the lock's slot.
 * @internal
 */
export class IoredisWakeupTransport implements WakeupTransport {
  private readonly detach: Array<() => void> = [];
  /** The channels subscribed, to subscribe again after a reconnect (see listen()). */
  private readonly channels = new Set<string>();

  /**
   * @param resubscribes whether this transport subscribes again after a reconnect itself: true
   *   for a connection made with `autoResubscribe: false`. ioredis's own resubscription leaves its
   *   promise unhandled, so a connection closed while it is under way (a manager closing during
   *   a reconnect) would surface as an unhandled rejection in the application.
   */
  constructor(
    private readonly connection: Redis | Cluster,
    private readonly sharded: boolean,
    private readonly owned: boolean,
    private readonly resubscribes = false,
  ) {}

  async subscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) this.channels.add(channel);
    if (this.sharded) await this.connection.ssubscribe(...channels);
    else await this.connection.subscribe(...channels);
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) this.channels.delete(channel);
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
      // Subscribed again after a reconnect (by ioredis, or here), but announcements sent while
      // it was down are gone: let the waiters check again.
      if (connectedOnce) {
        if (this.resubscribes && this.channels.size > 0) {
          this.subscribe([...this.channels]).catch(() => undefined);
        }
        onReconnect();
      }
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
