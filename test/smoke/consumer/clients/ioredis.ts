// The app's Redis client library when it is ioredis: the lock module creates its connection from
// the url, and the app's own client is an ioredis Redis.
import { Redis } from 'ioredis';
import type { RedisLockModuleOptions } from 'nestjs-redis-lock';
import type { LockClient } from 'nestjs-redis-lock/core';

export function lockModuleConnection(url: string): {
  options: RedisLockModuleOptions;
  close(): Promise<void>;
} {
  return { options: { url }, close: () => Promise.resolve() };
}

export async function connectOwnClient(
  url: string,
): Promise<{ client: LockClient; close(): Promise<void> }> {
  const client = new Redis(url);
  return {
    client,
    close: async () => {
      await client.quit();
    },
  };
}
