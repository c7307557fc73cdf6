import type { Redis } from 'ioredis';
import { keySlot, tagForSlot } from '../../lib/core/util/key-slot.util.js';

/**
 * The names the library gives its bookkeeping keys, for tests that look into Redis. Every key of
 * a lock lives in the lock's slot: a `{tag}` that hashes to it pins each bookkeeping key there.
 */
export function slotTag(redisKey: string): string {
  return `{${tagForSlot(keySlot(redisKey))}}`;
}

/** A queue, readers set, ... of the lock `key`: `lock:#queue:{tag}:order:42`. */
export function auxKey(role: string, key: string, prefix = 'lock:'): string {
  return `${prefix}#${role}:${slotTag(prefix + key)}:${key}`;
}

/** The fencing counter of the slot `key` lives in. */
export function fenceKey(key: string, prefix = 'lock:'): string {
  return `${prefix}#fence:${slotTag(prefix + key)}`;
}

/**
 * Keys that outlive every holder by design: the fencing counters, and for a few seconds after
 * each release its mark (what a release resent after a reconnect recognises).
 */
export function isBookkeeping(name: string): boolean {
  return /#fence(:|$)|#released:/.test(name);
}

/** Every key but the bookkeeping ones: what must be gone once every holder and waiter left. */
export async function keysLeft(redis: Redis, pattern = '*'): Promise<string[]> {
  return (await redis.keys(pattern)).filter((name) => !isBookkeeping(name)).sort();
}
