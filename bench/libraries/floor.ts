import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AcquireFailure, type Contender, type ContenderSpec, type Held } from './contender.js';
import { COMMON_TTL_MS } from './ttl.js';

/** Compare-and-delete: only the holder's token releases the lock. */
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const RELEASE_SHA = createHash('sha1').update(RELEASE_LUA).digest('hex');

/** A spin that lasts this long means something is broken, not contended. */
const SPIN_LIMIT_MS = 30_000;

/**
 * The floor: the least any Redis lock can do. `SET key token NX PX ttl` to take, one EVALSHA to
 * release (EVAL once when Redis does not know the script yet). Under contention it retries the
 * SET at once, as many times as it takes: the fastest a lock can change hands by polling, and the
 * most commands that costs.
 */
class FloorContender implements Contender {
  constructor(private readonly redis: Redis) {}

  async acquire(key: string): Promise<Held> {
    const token = randomBytes(16).toString('hex');
    const giveUpAt = Date.now() + SPIN_LIMIT_MS;
    while ((await this.redis.set(key, token, 'PX', COMMON_TTL_MS, 'NX')) !== 'OK') {
      if (Date.now() > giveUpAt) throw new AcquireFailure(`spun on ${key} for ${SPIN_LIMIT_MS} ms`);
    }
    return { release: () => this.release(key, token) };
  }

  private async release(key: string, token: string): Promise<void> {
    try {
      await this.redis.evalsha(RELEASE_SHA, 1, key, token);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.redis.eval(RELEASE_LUA, 1, key, token);
    }
  }

  async close(): Promise<void> {}
}

export const FLOOR: ContenderSpec = {
  id: 'floor',
  library: 'floor',
  tuning: 'spin',
  options: { ttl: COMMON_TTL_MS },
  description:
    'SET key token NX PX 10000; release by EVALSHA compare-and-delete; when held, SET again at once (spin)',
  create: (redis) => new FloorContender(redis),
};
