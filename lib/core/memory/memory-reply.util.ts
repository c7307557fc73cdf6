import type { AcquireReply } from '../backend/lease-driver.interface.js';
import { SemaphoreLimitMismatchError } from '../errors/semaphore-limit-mismatch.error.js';
import type { StoreAcquireReply } from './memory-keyspace.js';

/** The store's answer as a Redis driver gives it (a limit mismatch is thrown, as there). @internal */
export function toAcquireReply(
  answer: StoreAcquireReply,
  key: string,
  limit: number,
): AcquireReply {
  if ('limitMismatch' in answer) {
    throw new SemaphoreLimitMismatchError(key, limit, answer.limitMismatch);
  }
  return answer;
}

/** Announcements of the in-memory store use the key's own name, as Redis's do. @internal */
export function memoryChannel(redisKey: string): string {
  return redisKey;
}
