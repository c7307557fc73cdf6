import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface DemoRedis {
  readonly url: string;
  /** Whether the demo started this server (and stops it at the end). */
  readonly throwaway: boolean;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The Redis the demo uses: REDIS_URL, else 127.0.0.1:6379, else a throwaway redis-server on a
 * free port when one is installed.
 */
export async function findRedis(log: (line: string) => void): Promise<DemoRedis> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await answers(url)) return { url, throwaway: false, stop: async () => undefined };
  if (process.env.REDIS_URL) {
    throw new Error(
      `No Redis answers at REDIS_URL=${url}. Start it, or unset REDIS_URL to let the demo start one.`,
    );
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(
      `No Redis answers at ${url} and redis-server is not installed. Start a Redis (\`docker run -p 6379:6379 redis:7\`) or install redis-server.`,
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const throwawayUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await answers(throwawayUrl)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`No Redis at ${url}: started a throwaway redis-server on port ${port}.`);
  return {
    url: throwawayUrl,
    throwaway: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/**
 * Deletes every key under `prefix` (SCAN, never KEYS: it does not block a busy server); returns
 * how many it deleted. The demo runs the app under a prefix of its own, so this removes all it
 * wrote, lock keys and fencing counter included, and nothing else.
 */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  if (prefix.length === 0 || /[*?[\]\\]/.test(prefix)) {
    throw new Error(
      `deleteKeys() needs a literal, non-empty prefix; got ${JSON.stringify(prefix)}`,
    );
  }
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}
