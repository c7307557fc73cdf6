// Runs thousands of acquire / wait / cancel / timeout / release cycles, then closes the manager
// and the client and returns WITHOUT process.exit(): the parent checks that the process ends by
// itself, which it only does if no timer, listener or socket was left behind.
// Usage: node cycle-worker.cjs <port> <cycles>
const { Redis } = require('ioredis');
const { LockManager } = require('../../../dist/cjs/index.js');
const { finish, waitCycle } = require('./wait-cycle.cjs');

const [port, cycles] = process.argv.slice(2);

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis);
  const counts = { acquired: 0, timedOut: 0, aborted: 0, empty: 0, woken: 0 };
  for (let i = 0; i < Number(cycles); i++) {
    const key = `cycle:${i % 7}`;
    await waitCycle(
      counts,
      async () => {
        const lock = await manager.acquire(key, { autoExtend: i % 2 === 0 });
        counts.acquired++;
        if ((await manager.tryAcquire(key)) === null) counts.empty++;
        return lock;
      },
      (options) => manager.acquire(key, options),
    );
  }
  await finish(manager, redis, counts);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
