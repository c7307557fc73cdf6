// A read-write lock that excludes nothing: the control experiment of the read-write lock test,
// whose analysis must see writers overlapping.
let fence = 0;
class LockManager {
  readWriteLock() {
    return {
      withRead: async (fn) => fn({}),
      withWrite: async (fn) => fn({ fencingToken: ++fence }),
    };
  }
  async close() {}
}
module.exports = { LockManager };
