// One OS process of the semaphore test: a holder that loops until `endAt`, printing what it does
// as it does it (one line per event, written synchronously to the pipe, so a SIGKILL loses
// nothing already printed): `W <ns>` before asking, `G <ns>` once it holds a permit, `R <ns>`
// before giving it back, `F <ns>` once Redis took it back. <ns> is process.hrtime.bigint(), the machine's monotonic clock, shared
// by every process.
// Usage: node semaphore-worker.cjs <port> <key> <permits> <ttl> <endAt epoch ms> [library entry]
const { Redis } = require('ioredis');

const [port, key, permits, ttl, endAt, entry] = process.argv.slice(2);
const { LockManager } = require(entry || '../../../dist/cjs/index.js');

const event = (type) => process.stdout.write(`${type} ${process.hrtime.bigint()}\n`);

async function main() {
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const manager = new LockManager(redis, { ttl: Number(ttl) });
  const semaphore = manager.semaphore(key, { permits: Number(permits) });
  while (Date.now() < Number(endAt)) {
    event('W');
    await semaphore.withPermit(
      async () => {
        event('G');
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 40));
        event('R');
      },
      { waitTimeout: 60_000 },
    );
    event('F');
  }
  await manager.close();
  redis.disconnect();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
