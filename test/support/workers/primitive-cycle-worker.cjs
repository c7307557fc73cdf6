// Runs hundreds of acquire / wait / cancel / timeout / release cycles on semaphores, read-write
// locks and fair locks, then closes the manager and the client and returns WITHOUT
// process.exit(): the parent checks that the process ends by itself, which it only does if no
// timer, listener or socket was left behind.
// Usage: node primitive-cycle-worker.cjs <port> <cycles>
const { Redis } = require('ioredis');
const { LockManager, LockTimeoutError, LockAbortedError } = require('../../../dist/cjs/index.js');

const [port, cycles] = process.argv.slice(2);

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis, { waiterTtl: 1_000 });
  const counts = { timedOut: 0, aborted: 0, woken: 0 };

  // One holder, then a caller that times out, one that is aborted, one that is woken.
  async function cycle(hold, wait) {
    const held = await hold();
    const timeout = wait({ waitTimeout: 1 }).catch((e) => e);
    const controller = new AbortController();
    const aborted = wait({ signal: controller.signal }).catch((e) => e);
    const woken = wait({ waitTimeout: 5_000 });
    controller.abort();
    if ((await timeout) instanceof LockTimeoutError) counts.timedOut++;
    if ((await aborted) instanceof LockAbortedError) counts.aborted++;
    await held.release();
    await (await woken).release();
    counts.woken++;
  }

  for (let i = 0; i < Number(cycles); i++) {
    const semaphore = manager.semaphore(`sem:${i % 5}`, { permits: 2 });
    await cycle(
      () => semaphore.acquire({ weight: 2, autoExtend: i % 2 === 0 }),
      (options) => semaphore.acquire(options),
    );
    const rw = manager.readWriteLock(`rw:${i % 5}`);
    await cycle(
      () => rw.write({ autoExtend: i % 2 === 0 }),
      (options) => (i % 2 === 0 ? rw.read(options) : rw.write(options)),
    );
    await cycle(
      () => manager.acquire(`fair:${i % 5}`, { fair: true, autoExtend: i % 2 === 0 }),
      (options) => manager.acquire(`fair:${i % 5}`, { fair: true, ...options }),
    );
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
