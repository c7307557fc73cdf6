// One OS process of the read-write lock tests: `workers` async readers or writers looping on one
// read-write lock until the end of the run, pausing up to `pauseMs` between two holds. A writer does a
// deliberately non-atomic read-modify-write of a counter; a reader reads the counter at the start
// and at the end of its hold, which differ only if a writer got in meanwhile. Prints the holds as
// JSON at the end: [role, start ns, end ns, value at start, value at end, fencing token, pid].
// All processes start together: each counts itself in `<key>:ready`, then waits on `<key>:go` for
// the end of the run (epoch ms), which the test pushes once every process is there.
// Usage: node read-write-worker.cjs <port> <key> <read|write> <workers>
//        <minHoldMs> <maxHoldMs> <pauseMs> [library entry]
const { Redis } = require('ioredis');

const [port, key, role, workers, minHold, maxHold, pause, entry] = process.argv.slice(2);
const { LockManager } = require(entry || '../../../dist/cjs/index.js');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const hold = () => sleep(Number(minHold) + Math.random() * (Number(maxHold) - Number(minHold)));

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis, { ttl: 5_000 });
  const lock = manager.readWriteLock(key);
  const counter = `${key}:counter`;
  const records = [];
  await redis.incr(`${key}:ready`);
  const [, endAt] = await redis.blpop(`${key}:go`, 0);

  const read = () =>
    lock.withRead(
      async () => {
        const start = process.hrtime.bigint();
        const before = Number((await redis.get(counter)) ?? 0);
        await hold();
        const after = Number((await redis.get(counter)) ?? 0);
        const end = process.hrtime.bigint();
        records.push(['read', String(start), String(end), before, after, 0, process.pid]);
      },
      { waitTimeout: 30_000 },
    );

  const write = () =>
    lock.withWrite(
      async (held) => {
        const start = process.hrtime.bigint();
        const value = Number((await redis.get(counter)) ?? 0);
        // Yield between the read and the write, so an unlocked overlap would lose updates.
        await new Promise((resolve) => setImmediate(resolve));
        await redis.set(counter, String(value + 1));
        await hold();
        const end = process.hrtime.bigint();
        records.push([
          'write',
          String(start),
          String(end),
          value,
          value + 1,
          held.fencingToken,
          process.pid,
        ]);
      },
      { waitTimeout: 30_000 },
    );

  const once = role === 'read' ? read : write;
  await Promise.all(
    Array.from({ length: Number(workers) }, async () => {
      while (Date.now() < Number(endAt)) {
        await once();
        await sleep(Math.random() * Number(pause));
      }
    }),
  );
  await manager.close();
  redis.disconnect();
  process.stdout.write(JSON.stringify(records));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
