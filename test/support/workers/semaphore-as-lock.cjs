// A semaphore whose weights admit one holder at a time (3 permits, each holder taking 2 or 3),
// dressed as the LockManager that exclusion-worker.cjs drives: the worker's non-atomic counter
// update inside it shows any two holders at once. Callers that find too few permits free queue,
// so nearly every hold is a grant from the semaphore's queue.
const { LockManager: RealManager } = require('../../../dist/cjs/index.js');

class LockManager {
  constructor(client, options) {
    this.manager = new RealManager(client, options);
  }

  async acquire(key, options) {
    const weight = Math.random() < 0.5 ? 2 : 3;
    const permit = await this.manager
      .semaphore(key, { permits: 3 })
      .acquire({ weight, waitTimeout: options.waitTimeout });
    return { fencingToken: 0, release: () => permit.release() };
  }

  close() {
    return this.manager.close();
  }
}

module.exports = { LockManager };
