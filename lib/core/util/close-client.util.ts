import type { Cluster, Redis } from 'ioredis';

/**
 * Closes a connection this library created and waits until its socket is gone: QUIT when it is
 * connected, disconnect() otherwise. A QUIT sent to a connection that is down would wait in the
 * offline queue while ioredis reconnects forever, and keep the process alive.
 * @internal
 */
export async function closeClient(client: Redis | Cluster, timeoutMs = 1_000): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  await client.quit().catch(() => client.disconnect());
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    ended,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
  // The status changed meanwhile (TypeScript still narrows it to 'ready').
  if ((client.status as string) !== 'end') client.disconnect();
}
