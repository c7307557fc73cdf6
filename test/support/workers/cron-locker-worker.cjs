// One instance of an application whose scheduled job is marked distributed: on each tick the
// parent sends, it asks its RedisCronLocker whether it runs the job, as @nestjs/schedule does.
// Usage (forked with IPC): cron-locker-worker.cjs <redis:port | cluster:port,port,...> <keyPrefix> <lockAtLeastFor>
// Receives {type:'tick', key, ttlMs}: sends {type:'ticked', ran}; a run releases after it.
// Receives {type:'exit'}: closes its manager and connection and exits.
require('../chaos/register-ts.cjs');
const { Cluster, Redis } = require('ioredis');
const { LockManager } = require('../../../lib/core/index.ts');
const { RedisCronLocker } = require('../../../lib/experimental/index.ts');

const [target, keyPrefix, lockAtLeastFor] = process.argv.slice(2);
const [kind, ports] = target.split(':');
const client =
  kind === 'cluster'
    ? new Cluster(ports.split(',').map((port) => ({ host: '127.0.0.1', port: Number(port) })))
    : new Redis({ host: '127.0.0.1', port: Number(ports) });
const manager = new LockManager(client);
const locker = new RedisCronLocker(manager, { keyPrefix, lockAtLeastFor: Number(lockAtLeastFor) });

process.on('message', async (message) => {
  if (message.type === 'tick') {
    const ran = await locker.tryAcquire(message.key, message.ttlMs);
    process.send({ type: 'ticked', ran, pid: process.pid });
    if (ran) await locker.release(message.key);
  } else if (message.type === 'exit') {
    await manager.close();
    client.disconnect();
    process.disconnect();
  }
});

client.ping().then(() => process.send({ type: 'ready' }));
