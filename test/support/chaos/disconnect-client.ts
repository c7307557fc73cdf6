import type { Redis } from 'ioredis';

/** Statuses in which a client has no connection yet, but is about to have one. */
const ON_ITS_WAY = new Set(['wait', 'connecting', 'connect', 'reconnecting']);

/**
 * Disconnects a client the way an application's shutdown would, without the ioredis 6.0.0
 * pitfall: `disconnect()` while a client waits to reconnect leaves its status at
 * `reconnecting` and the promises of its queued commands pending forever (redis/ioredis#2197).
 * A chaos round would then hang on an operation whose command can never settle, whatever the
 * engine does. So the client is first given up to `waitMs` to get its connection back (the
 * proxies stay up during a round), then disconnected.
 */
export async function disconnectClient(client: Redis, waitMs = 5_000): Promise<void> {
  const deadline = performance.now() + waitMs;
  while (ON_ITS_WAY.has(client.status) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  client.disconnect();
}
