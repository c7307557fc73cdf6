// Runs thousands of acquire / wait / cancel / timeout / release cycles, then closes the manager
// and the client and returns WITHOUT process.exit(): the parent checks that the process ends by
// itself, which it only does if no timer, listener or socket was left behind.
// Usage: node cycle-worker.cjs <port> <cycles>
const { Redis } = require('ioredis');
const { LockManager, LockTimeoutError, LockAbortedError } = require('../../../dist/cjs/index.js');

const [port, cycles] = process.argv.slice(2);

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis);
  const counts = { acquired: 0, timedOut: 0, aborted: 0, empty: 0, woken: 0 };
  for (let i = 0; i < Number(cycles); i++) {
    const key = `cycle:${i % 7}`;
    const lock = await manager.acquire(key, { autoExtend: i % 2 === 0 });
    counts.acquired++;
    if ((await manager.tryAcquire(key)) === null) counts.empty++;
    const timeout = manager.acquire(key, { waitTimeout: 1 }).catch((e) => e);
    const controller = new AbortController();
    const aborted = manager.acquire(key, { signal: controller.signal }).catch((e) => e);
    const woken = manager.acquire(key, { waitTimeout: 5_000 });
    controller.abort();
    if ((await timeout) instanceof LockTimeoutError) counts.timedOut++;
    if ((await aborted) instanceof LockAbortedError) counts.aborted++;
    await lock.release();
    await (await woken).release();
    counts.woken++;
  }
  const resources = process.getActiveResourcesInfo();
  await manager.close();
  await redis.quit();
  process.stdout.write(JSON.stringify({ counts, resources }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
