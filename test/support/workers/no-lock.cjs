// A "lock" that excludes nothing: the control experiment of the mutual-exclusion test, which
// must detect it.
let fence = 0;
class LockManager {
  async acquire() {
    fence += 1;
    return { fencingToken: fence, release: async () => undefined };
  }
  async close() {}
}
module.exports = { LockManager };
