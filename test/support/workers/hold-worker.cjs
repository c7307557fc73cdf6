// Holds a renewed lock and releases it when the parent says so, reporting what happened.
// Usage (forked with IPC): hold-worker.cjs <port> <key> <ttl>
const { Redis } = require('ioredis');
const { LockManager } = require('../../../dist/cjs/index.js');

const [port, key, ttl] = process.argv.slice(2);

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis);
  const lock = await manager.acquire(key, { ttl: Number(ttl), autoExtend: true });
  process.send({ type: 'acquired', token: lock.token, fencingToken: lock.fencingToken });
  process.on('message', async (message) => {
    if (message !== 'release') return;
    const signalAborted = lock.signal.aborted;
    let outcome;
    try {
      await lock.release();
      outcome = { type: 'released' };
    } catch (error) {
      outcome = { type: 'release-failed', name: error.name, reason: error.reason };
    }
    process.send({ ...outcome, signalAborted, signalReason: lock.signal.reason?.name });
    await manager.close();
    await redis.quit();
    process.disconnect();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
