import type { Redis } from 'ioredis';

/**
 * Every message published on channels matching `pattern` while `run` runs, with its channel, as
 * a PSUBSCRIBE on a connection of its own heard them.
 */
export async function publishedDuring(
  redis: Redis,
  pattern: string,
  run: () => Promise<unknown>,
): Promise<Array<[channel: string, message: string]>> {
  const listener = redis.duplicate();
  const seen: Array<[string, string]> = [];
  listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
    seen.push([channel, message]);
  });
  try {
    await listener.psubscribe(pattern);
    await run();
    // A round trip on the listener's own connection: every earlier message has reached it.
    await listener.call('PING');
  } finally {
    listener.disconnect();
  }
  return seen;
}

/** How many connections are subscribed to `channel` (PUBSUB NUMSUB). */
export async function subscribersOf(redis: Redis, channel: string): Promise<number> {
  const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
  return Number(count);
}
