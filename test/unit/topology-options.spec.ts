import { Redis } from 'ioredis';
import { InMemoryLockStore } from '../../lib/testing/index.js';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockManager,
  LockQuorumError,
  LockReplicationError,
  RedisLockError,
} from '../../lib/core/index.js';

describe('topology options', () => {
  // Never connects: every check happens before any Redis call.
  const client = new Redis({ lazyConnect: true, port: 1 });
  client.on('error', () => undefined);
  afterAll(() => client.disconnect());

  it('fills in the defaults: nodeTimeout 200 ms, no replica wait', () => {
    const manager = new LockManager(client);
    expect(manager.options.nodeTimeout).toBe(200);
    expect(manager.options.waitForReplicas).toBeUndefined();
  });

  it('resolves waitForReplicas as plain, frozen data', () => {
    const manager = new LockManager(client, { waitForReplicas: { replicas: 2 } });
    expect(manager.options.waitForReplicas).toEqual({
      replicas: 2,
      timeout: 100,
      onShortfall: 'fail',
    });
    expect(Object.isFrozen(manager.options.waitForReplicas)).toBe(true);
  });

  it.each([
    [{ nodeTimeout: 0 }, /nodeTimeout must be a whole number/],
    [{ nodeTimeout: '50' }, /nodeTimeout must be a whole number.*"50"/],
    [{ waitForReplicas: 1 }, /waitForReplicas options must be an object/],
    [{ waitForReplicas: {} }, /replicas must be a whole number from 1 to 64.*undefined/],
    [{ waitForReplicas: { replicas: 0 } }, /replicas must be a whole number from 1/],
    [{ waitForReplicas: { replicas: 1.5 } }, /replicas must be a whole number/],
    [{ waitForReplicas: { replicas: 1, timeout: 0 } }, /waitForReplicas.timeout must be/],
    [{ waitForReplicas: { replicas: 1, onShortfall: 'ignore' } }, /"fail".*"report".*"ignore"/],
    [{ waitForReplicas: { replicas: 1, wait: 5 } }, /Unknown waitForReplicas option "wait"/],
  ])('rejects %j with a typed error', (options, message) => {
    const attempt = (): LockManager => new LockManager(client, options as never);
    expect(attempt).toThrow(InvalidLockOptionsError);
    expect(attempt).toThrow(message);
  });

  it('refuses nodeTimeout with a single client or store, where it would do nothing', () => {
    const single = (): LockManager => new LockManager(client, { nodeTimeout: 50 });
    expect(single).toThrow(InvalidLockOptionsError);
    expect(single).toThrow(/nodeTimeout bounds each master's answer in a Redlock quorum/);
    expect(() => new LockManager([client], { nodeTimeout: 50 })).toThrow(/nodeTimeout/);
    expect(() => new LockManager(new InMemoryLockStore(), { nodeTimeout: 50 })).toThrow(
      InvalidLockOptionsError,
    );
  });

  it('refuses semaphores and read-write locks with waitForReplicas, which they would skip', () => {
    const manager = new LockManager(client, { waitForReplicas: { replicas: 1 } });
    const semaphore = (): unknown => manager.semaphore('pool', { permits: 2 });
    const readWrite = (): unknown => manager.readWriteLock('config');
    expect(semaphore).toThrow(InvalidLockOptionsError);
    expect(semaphore).toThrow(/semaphore cannot be combined with the manager's waitForReplicas/);
    expect(readWrite).toThrow(
      /read-write lock cannot be combined with the manager's waitForReplicas/,
    );
  });

  it('has typed errors for quorum and replication shortfalls, both LockBackendErrors', () => {
    const quorum = new LockQuorumError('k', 'acquire', 2, 3, 5);
    expect(quorum).toBeInstanceOf(LockBackendError);
    expect(quorum).toBeInstanceOf(RedisLockError);
    expect(quorum.name).toBe('LockQuorumError');
    expect(quorum.message).toMatch(/2 of 5 masters answered; 3 are needed.*nodeTimeout/);
    const unconfirmed = new LockQuorumError('k', 'release', 4, 3, 5, {
      confirmed: 2,
      outcomes: ['ok', 'taken', 'taken', 'ok', 'no answer'],
    });
    expect(unconfirmed.message).toMatch(
      /only 2 of 5 masters confirmed it and 1 did not answer; 3 are needed \(masters: ok, taken, taken, ok, no answer\)/,
    );
    expect(unconfirmed.outcomes).toEqual(['ok', 'taken', 'taken', 'ok', 'no answer']);
    const replication = new LockReplicationError('k', 0, 1, 100);
    expect(replication).toBeInstanceOf(LockBackendError);
    expect(replication.name).toBe('LockReplicationError');
    expect(replication.message).toMatch(
      /only 0 of 1 required replicas acknowledged it within 100 ms/,
    );
  });
});
