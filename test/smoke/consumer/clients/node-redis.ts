// The app's Redis client library when it is node-redis (the redis package), without ioredis
// installed: the lock module creates a node-redis connection (`nodeRedis: true`), and the app's
// own client is `createClient()`'s.
import type { RedisLockModuleOptions } from 'nestjs-redis-lock';
import type { NodeRedisClient } from 'nestjs-redis-lock/core';
import { createClient } from 'redis';

export function lockModuleConnection(url: string): {
  options: RedisLockModuleOptions;
  close(): Promise<void>;
} {
  return { options: { url, nodeRedis: true }, close: () => Promise.resolve() };
}

export async function connectOwnClient(
  url: string,
): Promise<{ client: NodeRedisClient; close(): Promise<void> }> {
  // Typed by our interface, not inferred: node-redis's own client type must be assignable to it.
  const client: NodeRedisClient = await createClient({ url }).connect();
  return {
    client,
    close: async () => {
      await client.close?.();
    },
  };
}
