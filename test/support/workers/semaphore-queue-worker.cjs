// One OS process of the semaphore queue tests, steered over IPC: on {type: 'acquire', id,
// weight} it asks for `weight` permits (in the background, several at once if told so), reports
// {type: 'granted', id, at} when it holds them, holds them a moment, releases them and reports
// {type: 'released', id, at}. `at` is process.hrtime.bigint() as a string, the machine's
// monotonic clock.
// Usage (forked with IPC): semaphore-queue-worker.cjs <port> <key> <permits> <waiterTtl>
const { Redis } = require('ioredis');
const { LockManager } = require('../../../dist/cjs/index.js');

const [port, key, permits, waiterTtl] = process.argv.slice(2);

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis, { waiterTtl: Number(waiterTtl) });
  const semaphore = manager.semaphore(key, { permits: Number(permits) });
  const running = new Set();
  process.on('message', async (message) => {
    if (message.type === 'acquire') {
      const work = (async () => {
        const permit = await semaphore.acquire({
          weight: message.weight ?? 1,
          waitTimeout: 60_000,
        });
        process.send({ type: 'granted', id: message.id, at: String(process.hrtime.bigint()) });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await permit.release();
        process.send({ type: 'released', id: message.id, at: String(process.hrtime.bigint()) });
      })().catch((error) => process.send({ type: 'failed', id: message.id, error: error.message }));
      running.add(work);
      work.finally(() => running.delete(work));
    } else if (message.type === 'exit') {
      await Promise.all(running);
      await manager.close();
      redis.disconnect();
      process.disconnect();
    }
  });
  process.send({ type: 'ready' });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
