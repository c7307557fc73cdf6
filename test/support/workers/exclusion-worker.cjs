// One OS process of the mutual-exclusion test: `workers` async workers race for one lock and,
// inside it, do a deliberately non-atomic read-modify-write of a counter in Redis.
// Usage: node exclusion-worker.cjs <port> <key> <workers> <durationMs> [library entry]
const { Redis } = require('ioredis');

const [port, key, workers, durationMs, entry] = process.argv.slice(2);
const { LockManager } = require(entry || '../../../dist/cjs/index.js');

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis, { ttl: 5_000 });
  const records = [];
  const end = Date.now() + Number(durationMs);

  async function worker(id) {
    while (Date.now() < end) {
      const lock = await manager.acquire(key, { waitTimeout: 30_000 });
      const start = process.hrtime.bigint();
      const value = Number((await redis.get(`${key}:counter`)) ?? 0);
      // Yield between the read and the write, so an unlocked overlap would lose updates.
      await new Promise((resolve) => setImmediate(resolve));
      await redis.set(`${key}:counter`, String(value + 1));
      const finish = process.hrtime.bigint();
      records.push([String(start), String(finish), lock.fencingToken, process.pid, id]);
      await lock.release();
    }
  }

  await Promise.all(Array.from({ length: Number(workers) }, (_, id) => worker(id)));
  await manager.close();
  await redis.quit();
  process.stdout.write(JSON.stringify(records));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
