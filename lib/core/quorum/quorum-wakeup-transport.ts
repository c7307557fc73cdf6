import type { WakeupTransport } from '../backend/lock-backend.interface.js';

/** How long an announcement is remembered to drop its copies from the other masters. */
const DEDUPE_WINDOW_MS = 2_000;

/**
 * Release announcements from every master of a quorum: a waiter subscribes on all of them, so
 * it hears a release as long as one master that took part in it is reachable. A release is
 * announced by each master it reached, with the same message (derived from the lock token):
 * the copies are dropped, so one release wakes one waiter per process, not one per master.
 * @internal
 */
export class QuorumWakeupTransport implements WakeupTransport {
  /** `channel + '\n' + message` → when it was first heard (insertion order = time order). */
  private readonly heard = new Map<string, number>();

  constructor(private readonly transports: readonly WakeupTransport[]) {}

  async subscribe(channels: readonly string[]): Promise<void> {
    // Listening as soon as one master confirms; the others follow (or never do while down).
    const all = this.transports.map((t) => t.subscribe(channels));
    for (const pending of all) pending.catch(() => undefined);
    await Promise.any(all);
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    await Promise.all(this.transports.map((t) => t.unsubscribe(channels).catch(() => undefined)));
  }

  isReady(): boolean {
    return this.transports.some((t) => t.isReady());
  }

  listen(onMessage: (channel: string, message: string) => void, onReconnect: () => void): void {
    for (const transport of this.transports) {
      transport.listen((channel, message) => {
        if (this.firstCopy(channel, message)) onMessage(channel, message);
      }, onReconnect);
    }
  }

  private firstCopy(channel: string, message: string): boolean {
    const now = Date.now();
    for (const [id, at] of this.heard) {
      if (now - at < DEDUPE_WINDOW_MS) break;
      this.heard.delete(id);
    }
    const id = `${channel}\n${message}`;
    if (this.heard.has(id)) return false;
    this.heard.set(id, now);
    return true;
  }

  async close(): Promise<void> {
    this.heard.clear();
    await Promise.all(this.transports.map((t) => t.close().catch(() => undefined)));
  }
}
