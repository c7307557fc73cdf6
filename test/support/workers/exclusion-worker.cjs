// One OS process of the mutual-exclusion test: `workers` async workers race for one lock and,
// inside it, do a deliberately non-atomic read-modify-write of a counter in Redis.
// Usage: node exclusion-worker.cjs <port[,port...]> <key> <workers> <durationMs> [library entry] [store port]
// Several ports make a Redlock quorum of independent masters. The counter lives on the store
// port when one is given (so killing masters cannot lose it), otherwise on the first port.
const { Redis } = require('ioredis');

const [ports, key, workers, durationMs, entry, storePort] = process.argv.slice(2);
const { LockManager } = require(entry || '../../../dist/cjs/index.js');

async function main() {
  const masters = ports.split(',').map((port) => {
    const client = new Redis({ host: '127.0.0.1', port: Number(port) });
    // Tests kill masters on purpose: a quorum keeps working, the reconnect noise is expected.
    client.on('error', () => undefined);
    return client;
  });
  const store = storePort ? new Redis({ host: '127.0.0.1', port: Number(storePort) }) : masters[0];
  const manager = new LockManager(masters.length === 1 ? masters[0] : masters, { ttl: 5_000 });
  const records = [];
  const end = Date.now() + Number(durationMs);

  async function worker(id) {
    while (Date.now() < end) {
      const lock = await manager.acquire(key, { waitTimeout: 30_000 });
      const start = process.hrtime.bigint();
      const value = Number((await store.get(`${key}:counter`)) ?? 0);
      // Yield between the read and the write, so an unlocked overlap would lose updates.
      await new Promise((resolve) => setImmediate(resolve));
      await store.set(`${key}:counter`, String(value + 1));
      const finish = process.hrtime.bigint();
      records.push([String(start), String(finish), lock.fencingToken, process.pid, id]);
      await lock.release().catch((error) => {
        // With masters down, a quorum may be unable to confirm a release (the holder's majority
        // shrank to masters that no longer answer): the keys expire by themselves. Exclusion is
        // judged from the recorded sections, not from this.
        if (error.name !== 'LockQuorumError') throw error;
      });
    }
  }

  await Promise.all(Array.from({ length: Number(workers) }, (_, id) => worker(id)));
  await manager.close();
  for (const client of new Set([...masters, store])) client.disconnect();
  process.stdout.write(JSON.stringify(records));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
