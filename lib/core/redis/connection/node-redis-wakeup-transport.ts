import type { WakeupTransport } from '../../backend/lock-backend.interface.js';
import type {
  NodeRedisLockClient,
  NodeRedisListener,
} from '../../interfaces/node-redis-client.interface.js';

/** How long a closing connection may take to finish its replies before it is destroyed. */
const CLOSE_TIMEOUT_MS = 1_000;

/**
 * Release announcements over a node-redis connection: SUBSCRIBE on one server or under
 * Sentinel, SSUBSCRIBE on a Cluster (node-redis routes each channel to its slot's shard and
 * follows it when the slot moves). node-redis subscribes again by itself after a reconnect;
 * the transport only tells the waiters that announcements may have been missed meanwhile.
 * @internal
 */
export class NodeRedisWakeupTransport implements WakeupTransport {
  private readonly detach: Array<() => void> = [];
  private connecting: Promise<unknown> | undefined;
  private onMessage: ((channel: string, message: string) => void) | undefined;
  private readonly listener: NodeRedisListener = (message, channel) =>
    this.onMessage?.(channel, message);
  private readonly channels = new Set<string>();

  /**
   * @param owned whether this transport made the connection (a duplicate of the manager's
   *   client): it then connects and closes it; a connection the user gave stays theirs.
   */
  constructor(
    private readonly connection: NodeRedisLockClient,
    private readonly sharded: boolean,
    private readonly owned: boolean,
  ) {
    if (owned) {
      // Without a listener an 'error' event would crash the process; node-redis reconnects by
      // itself and waiters poll meanwhile.
      const ignore = (): void => undefined;
      connection.on('error', ignore);
      this.detach.push(() => connection.off('error', ignore));
    }
  }

  /**
   * Connects the transport's own connection once. Every subscribe waits for it: node-redis
   * reports a connection open as soon as it starts connecting, and refuses (ClientOfflineError)
   * a Cluster's SSUBSCRIBE until its slots are known.
   */
  private connected(): Promise<unknown> | undefined {
    if (!this.owned) return undefined;
    if (this.connecting === undefined && this.connection.isOpen) return undefined;
    this.connecting ??= this.connection.connect().catch((error: unknown) => {
      // Tried again at the next subscribe; waiters poll meanwhile.
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) this.channels.add(channel);
    await this.connected();
    // SSUBSCRIBE takes channels of one slot: node-redis sends a list to the first one's shard.
    if (this.sharded) {
      await Promise.all(channels.map((c) => this.connection.sSubscribe([c], this.listener)));
    } else {
      await this.connection.subscribe([...channels], this.listener);
    }
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) this.channels.delete(channel);
    if (!this.connection.isOpen) return;
    if (this.sharded) {
      await Promise.all(channels.map((c) => this.connection.sUnsubscribe([c], this.listener)));
    } else {
      await this.connection.unsubscribe([...channels], this.listener);
    }
  }

  isReady(): boolean {
    return this.connection.isReady ?? this.connection.isOpen;
  }

  listen(onMessage: (channel: string, message: string) => void, onReconnect: () => void): void {
    if (this.onMessage) return;
    this.onMessage = onMessage;
    let connectedOnce = this.connection.isReady ?? this.connection.isOpen;
    const handleReady = (): void => {
      // node-redis subscribed again, but announcements sent while it was down are gone: let
      // the waiters check again.
      if (connectedOnce) onReconnect();
      connectedOnce = true;
    };
    // A Cluster reports each shard's connection; a client or Sentinel its own.
    const event = this.sharded ? 'node-ready' : 'ready';
    this.connection.on(event, handleReady);
    this.detach.push(() => this.connection.off(event, handleReady));
  }

  async close(): Promise<void> {
    const { connection } = this;
    if (!this.owned) {
      // Not awaited: on a connection that is down node-redis queues it until a reconnect, and
      // close() (app.close()) must not wait for Redis to come back.
      if (this.channels.size > 0) this.unsubscribe([...this.channels]).catch(() => undefined);
    } else if (connection.isOpen && connection.close) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        connection.close().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (connection.isOpen) connection.destroy?.();
    } else {
      try {
        connection.destroy?.();
      } catch {
        // Never opened: nothing to close.
      }
    }
    this.onMessage = undefined;
    for (const detach of this.detach.splice(0)) detach();
  }
}
