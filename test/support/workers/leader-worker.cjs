// One candidate of a leader election, in a process of its own that a test may kill or stop.
// Usage (forked with IPC): leader-worker.cjs <port> <name> <ttl>
// Sends {type:'ready'} once connected, {type:'elected', fencingToken} when it becomes the
// leader, {type:'revoked', fencingToken, reason, lostReason} when its term ends.
// Receives {type:'stop'}: stops the election, sends {type:'stopped'}, and exits.
require('../chaos/register-ts.cjs');
const { Redis } = require('ioredis');
const { LockManager } = require('../../../lib/core/index.ts');

const [port, name, ttl] = process.argv.slice(2);
const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
redis.on('error', () => undefined);
const manager = new LockManager(redis);

const election = manager.electLeader(name, {
  ttl: Number(ttl),
  onElected: (_signal, term) => process.send({ type: 'elected', fencingToken: term.fencingToken }),
  onRevoked: (reason, term) =>
    process.send({
      type: 'revoked',
      fencingToken: term.fencingToken,
      reason: reason && reason.name,
      lostReason: reason && reason.reason,
      isLeader: election.isLeader,
    }),
  onError: (error) => process.send({ type: 'error', message: String(error && error.message) }),
});

process.on('message', async (message) => {
  if (message.type !== 'stop') return;
  await election.stop();
  process.send({ type: 'stopped' });
  await manager.close();
  redis.disconnect();
  process.disconnect();
});

redis.ping().then(() => process.send({ type: 'ready' }));
