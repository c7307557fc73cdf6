// withLock(), withPermit() and the read-write lock's with*() release when the work is done. A
// release that Redis does not confirm (its reply lost with the connection, on a client that does
// not send it again) must not turn work that completed under the lock into a failure: the caller
// would retry it. A lock lost while the work ran still must.
import { LockLostError, LockManager, type LockReleaseFailedEvent } from '../../lib/core/index.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type TestClient, connectClient } from '../support/lock-clients.js';
import { type RedisServer, startRedis, stopAllRedis } from '../support/redis-server.js';
import { recordUnhandledRejections } from '../support/unhandled-rejections.js';

const SCRIPTS = new Set(['evalsha', 'eval']);
const isScript = (command: readonly string[]): boolean => SCRIPTS.has(command[0]!.toLowerCase());

const WORK: Record<
  string,
  (manager: LockManager, key: string, fn: () => string) => Promise<string>
> = {
  withLock: (m, key, fn) => m.withLock(key, fn),
  withPermit: (m, key, fn) => m.semaphore(key, { permits: 2 }).withPermit(fn),
  withWrite: (m, key, fn) => m.readWriteLock(key).withWrite(fn),
};

describe('work under a lock whose release Redis does not confirm', () => {
  const unhandled = recordUnhandledRejections();
  let server: RedisServer;
  let proxy: FaultProxy;
  let client: TestClient;
  let manager: LockManager;

  beforeAll(async () => {
    server = await startRedis();
    proxy = await startFaultProxy({ targetPort: server.port });
    // node-redis rejects a command whose connection failed instead of sending it again.
    client = await connectClient('node-redis 6 (RESP3)', proxy.port);
    manager = new LockManager(client.client);
  });
  afterAll(async () => {
    await manager.close();
    await client.close();
    await proxy.close();
    await server.stop();
    await stopAllRedis();
  });
  afterEach(() => expect(unhandled).toEqual([]));

  it.each(Object.keys(WORK))(
    '%s returns what the work returned, and the manager reports the release',
    async (method) => {
      const failed: LockReleaseFailedEvent[] = [];
      const onFailed = (event: LockReleaseFailedEvent): void => void failed.push(event);
      manager.on('releaseFailed', onFailed);
      try {
        const key = `unconfirmed:${method}`;
        const result = WORK[method]!(manager, key, () => {
          // The next script is the release: its reply is dropped and the connection cut.
          void proxy.dropReply(isScript);
          return 'done';
        });
        await expect(result).resolves.toBe('done');
        expect(failed.map((event) => [event.key, event.error.message])).toEqual([
          [key, expect.stringMatching(/did not confirm the release/)],
        ]);
      } finally {
        manager.off('releaseFailed', onFailed);
      }
    },
  );

  it('a lock lost while the work ran still discards the result', async () => {
    const result = manager.withLock(
      'unconfirmed:lost',
      async () => {
        // The lock expires under the work: nothing renews it.
        await new Promise((resolve) => setTimeout(resolve, 400));
        return 'done';
      },
      { ttl: 200, autoExtend: false },
    );
    await expect(result).rejects.toBeInstanceOf(LockLostError);
  });
});
