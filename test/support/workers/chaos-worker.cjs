// One worker process of a chaos round: its actors run on the compiled library (dist/) through
// the fault proxy the parent gives it, and it reports every lease it was handed and whatever
// it left behind. It then exits by itself, which it only can if nothing was left open.
// Protocol (IPC): sends {type:'ready'}; receives {type:'start', config, port}; sends
// {type:'result', result}.
require('../chaos/register-ts.cjs');
const { startProcessChecks } = require('../chaos/process-checks.ts');

let reported = false;
// The parent went away (a run stopped with Ctrl-C): nothing to report to any more. Registered
// before the checks start, which count process listeners.
process.on('disconnect', () => {
  if (!reported) process.exit(1);
});

// Before the library and ioredis are loaded, so that every timer they create is watched.
const checks = startProcessChecks();
const lib = require('../../../dist/cjs/core/index.js');
const { Redis } = require('ioredis');
const { runActors } = require('../chaos/lease-actors.ts');
const { disconnectClient } = require('../chaos/disconnect-client.ts');

process.once('message', async ({ config, port }) => {
  try {
    const result = await runActors(
      {
        lib,
        backend: () => {
          const client = new Redis({
            host: '127.0.0.1',
            port,
            showFriendlyErrorStack: !!process.env.CHAOS_DEBUG,
          });
          // Faults cut connections on purpose: ioredis reconnects, its noise is expected.
          client.on('error', () => undefined);
          return { clients: client, dispose: () => disconnectClient(client) };
        },
      },
      config,
    );
    result.violations.push(...(await checks.finish()));
    reported = true;
    process.send({ type: 'result', result }, () => process.disconnect());
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
});
process.send({ type: 'ready' });
