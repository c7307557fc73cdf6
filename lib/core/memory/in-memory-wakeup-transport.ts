import type { WakeupTransport } from '../backend/lock-backend.interface.js';
import type { MemoryKeyspace } from './memory-keyspace.js';

/**
 * Release announcements inside the process: the store delivers them to the channels this
 * transport listens to, as a Redis pub/sub connection would.
 * @internal
 */
export class InMemoryWakeupTransport implements WakeupTransport {
  private readonly channels = new Set<string>();
  private listener: ((channel: string, message: string) => void) | undefined;

  constructor(private readonly space: MemoryKeyspace) {}

  async subscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      if (this.channels.has(channel)) continue;
      this.channels.add(channel);
      this.space.subscribe(channel, this.deliver);
    }
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      this.channels.delete(channel);
      this.space.unsubscribe(channel, this.deliver);
    }
  }

  isReady(): boolean {
    return true;
  }

  listen(onMessage: (channel: string, message: string) => void): void {
    this.listener = onMessage;
  }

  async close(): Promise<void> {
    await this.unsubscribe([...this.channels]);
    this.listener = undefined;
  }

  private readonly deliver = (channel: string, message: string): void =>
    this.listener?.(channel, message);
}
