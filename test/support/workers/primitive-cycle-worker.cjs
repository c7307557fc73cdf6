// Runs hundreds of acquire / wait / cancel / timeout / release cycles on semaphores, read-write
// locks and fair locks, then closes the manager and the client and returns WITHOUT
// process.exit(): the parent checks that the process ends by itself, which it only does if no
// timer, listener or socket was left behind.
// Usage: node primitive-cycle-worker.cjs <port> <cycles>
const { Redis } = require('ioredis');
const { LockManager } = require('../../../dist/cjs/index.js');
const { finish, waitCycle } = require('./wait-cycle.cjs');

const [port, cycles] = process.argv.slice(2);

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis, { waiterTtl: 1_000 });
  const counts = { timedOut: 0, aborted: 0, woken: 0 };

  for (let i = 0; i < Number(cycles); i++) {
    const semaphore = manager.semaphore(`sem:${i % 5}`, { permits: 2 });
    await waitCycle(
      counts,
      () => semaphore.acquire({ weight: 2, autoExtend: i % 2 === 0 }),
      (options) => semaphore.acquire(options),
    );
    const rw = manager.readWriteLock(`rw:${i % 5}`);
    await waitCycle(
      counts,
      () => rw.write({ autoExtend: i % 2 === 0 }),
      (options) => (i % 2 === 0 ? rw.read(options) : rw.write(options)),
    );
    await waitCycle(
      counts,
      () => manager.acquire(`fair:${i % 5}`, { fair: true, autoExtend: i % 2 === 0 }),
      (options) => manager.acquire(`fair:${i % 5}`, { fair: true, ...options }),
    );
  }
  await finish(manager, redis, counts);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
