// The part the leak workers share: callers that time out, are aborted or are woken while a
// holder holds, so that every way a wait can end runs, thousands of times, in one process.
const { LockTimeoutError, LockAbortedError } = require('../../../dist/cjs/index.js');

/**
 * Takes the lock with `hold`, then starts three waits with `wait(options)`: one that times out,
 * one that is aborted, one that gets the lock once the holder releases it. Counts each outcome
 * in `counts` (timedOut, aborted, woken).
 */
async function waitCycle(counts, hold, wait) {
  const held = await hold();
  const timeout = wait({ waitTimeout: 1 }).catch((e) => e);
  const controller = new AbortController();
  const aborted = wait({ signal: controller.signal }).catch((e) => e);
  const woken = wait({ waitTimeout: 5_000 });
  controller.abort();
  if ((await timeout) instanceof LockTimeoutError) counts.timedOut++;
  if ((await aborted) instanceof LockAbortedError) counts.aborted++;
  await held.release();
  await (await woken).release();
  counts.woken++;
}

/**
 * Closes the manager and the client and prints the counts, WITHOUT process.exit(): the parent
 * checks that the process ends by itself, which it only does if nothing was left behind.
 */
async function finish(manager, redis, counts) {
  const resources = process.getActiveResourcesInfo();
  await manager.close();
  await redis.quit();
  process.stdout.write(JSON.stringify({ counts, resources }));
}

module.exports = { waitCycle, finish };
