// One process of the lock store's multi-process race: its callers acquire a key all at once,
// each over the store, when the parent says so.
// Usage (forked with IPC): lock-store-worker.cjs <redis:port | cluster:port,port,...> <keyPrefix> <callers>
// Receives {type:'race', key, round}: sends {type:'raced', results: [{owner, result}]}.
// Receives {type:'release', key, owner}: sends {type:'released', released}.
// Receives {type:'exit'}: closes its connection and exits.
require('../chaos/register-ts.cjs');
const { Cluster, Redis } = require('ioredis');
const { RedisLockStore } = require('../../../lib/experimental/index.ts');

const [target, keyPrefix, callers] = process.argv.slice(2);
const [kind, ports] = target.split(':');
const client =
  kind === 'cluster'
    ? new Cluster(ports.split(',').map((port) => ({ host: '127.0.0.1', port: Number(port) })))
    : new Redis({ host: '127.0.0.1', port: Number(ports) });
const store = new RedisLockStore(client, { keyPrefix });

process.on('message', async (message) => {
  if (message.type === 'race') {
    const owners = Array.from(
      { length: Number(callers) },
      (_, i) => `${process.pid}-${message.round}-${i}`,
    );
    const results = await Promise.all(
      owners.map((owner) => store.acquire(message.key, owner, 60_000)),
    );
    process.send({
      type: 'raced',
      results: owners.map((owner, i) => ({ owner, result: results[i] })),
    });
  } else if (message.type === 'release') {
    process.send({ type: 'released', released: await store.release(message.key, message.owner) });
  } else if (message.type === 'exit') {
    client.disconnect();
    process.disconnect();
  }
});

// Ready once connected, so the races start together.
client.ping().then(() => process.send({ type: 'ready' }));
