import type { MemoryKeyspace } from '../memory-keyspace.js';

/** Readers whose hold is still valid; expired ones are dropped. @internal */
export function liveReaders(readers: Map<string, number>, now: number): number {
  let count = 0;
  for (const [token, expiresAt] of readers) {
    if (expiresAt > now) count++;
    else readers.delete(token);
  }
  return count;
}

/** The state of a read-locked key lives as long as its longest reader. @internal */
export function keepReadState(
  space: MemoryKeyspace,
  key: string,
  readers: Map<string, number>,
): void {
  let last = 0;
  for (const expiresAt of readers.values()) last = Math.max(last, expiresAt);
  space.keys.set(key, { held: { type: 'read-write', mode: 'r' }, expiresAt: last });
}
