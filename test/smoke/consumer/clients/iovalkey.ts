// The app's Redis client library when it is iovalkey (the ioredis fork for Valkey), without
// ioredis installed: the module cannot create iovalkey connections, so the app hands it one.
import { Redis } from 'iovalkey';
import type { RedisLockModuleOptions } from 'nestjs-redis-lock';
import type { LockClient } from 'nestjs-redis-lock/core';

export function lockModuleConnection(url: string): {
  options: RedisLockModuleOptions;
  close(): Promise<void>;
} {
  const client = new Redis(url);
  return {
    options: { client },
    // The module never closes a client it was given.
    close: async () => {
      await client.quit();
    },
  };
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
