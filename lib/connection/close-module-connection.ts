import type { Cluster, Redis } from 'ioredis';
import type { LockTarget } from '../core/lock-manager.js';
import type { NodeRedisLockClient } from '../core/interfaces/node-redis-client.interface.js';
import { InMemoryLockStore } from '../core/memory/in-memory-lock-store.js';
import { closeClient } from '../core/util/close-client.util.js';

/** How long a node-redis client may take to finish its replies before it is destroyed. */
const CLOSE_TIMEOUT_MS = 1_000;

function clientsOf(target: LockTarget): ReadonlyArray<Redis | Cluster | NodeRedisLockClient> {
  if (target instanceof InMemoryLockStore) return [];
  return Array.isArray(target) ? target : [target as Redis | Cluster | NodeRedisLockClient];
}

function isIoredis(client: object): client is Redis | Cluster {
  return typeof (client as { defineCommand?: unknown }).defineCommand === 'function';
}

/**
 * Closes the connections the module created, waiting until their sockets are gone (ioredis:
 * QUIT, or disconnect when down; node-redis: close, destroy after a second).
 * @internal
 */
export async function closeModuleConnection(target: LockTarget): Promise<void> {
  await Promise.all(
    clientsOf(target).map(async (client) => {
      if (isIoredis(client)) return closeClient(client);
      if (!client.isOpen) return undefined;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.close?.().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (client.isOpen) client.destroy?.();
      return undefined;
    }),
  );
}

/**
 * Drops the connections the module created at once, when bootstrap fails and no shutdown hook
 * will run.
 * @internal
 */
export function dropModuleConnection(target: LockTarget): void {
  for (const client of clientsOf(target)) {
    if (isIoredis(client)) client.disconnect();
    else if (client.isOpen) client.destroy?.();
  }
}
