import {
  InvalidLockOptionsError,
  LockAbortedError,
  LockBackendError,
  LockLostError,
  LockManagerClosedError,
  LockReleasedError,
  LockTimeoutError,
  RedisLockError,
} from '../../lib/core/index.js';

describe('errors', () => {
  const cases: Array<[RedisLockError, string, RegExp]> = [
    [new InvalidLockOptionsError('ttl', 'ttl must be...'), 'InvalidLockOptionsError', /ttl must/],
    [
      new LockTimeoutError('order:1', 1234.4),
      'LockTimeoutError',
      /within 1234 ms.*raise waitTimeout/,
    ],
    [
      new LockTimeoutError('order:1', 10, { cause: new Error('ECONNREFUSED') }),
      'LockTimeoutError',
      /Redis did not answer the last attempt: ECONNREFUSED/,
    ],
    [
      new LockLostError('order:1', 'taken', 7),
      'LockLostError',
      /fencing token 7.*another owner acquired/,
    ],
    [new LockAbortedError('order:1'), 'LockAbortedError', /aborted.*no lock is held/],
    [
      new LockBackendError('order:1', 'release', 'Redis failed'),
      'LockBackendError',
      /Redis failed/,
    ],
    [new LockReleasedError('order:1'), 'LockReleasedError', /released by its holder/],
    [new LockManagerClosedError(), 'LockManagerClosedError', /closed/],
  ];

  it.each(cases)(
    '%s has its own name, extends RedisLockError and says what to do',
    (error, name, message) => {
      expect(error).toBeInstanceOf(RedisLockError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.message).toMatch(message);
    },
  );

  it('keeps diagnostic fields readonly on the instance', () => {
    const error = new LockTimeoutError('stock:9', 500);
    expect(error.key).toBe('stock:9');
    expect(error.waitedMs).toBe(500);
    const lost = new LockLostError('stock:9', 'unconfirmed', 12, { cause: 'x' });
    expect(lost.reason).toBe('unconfirmed');
    expect(lost.fencingToken).toBe(12);
    expect(lost.cause).toBe('x');
  });

  it('a timeout says whether the lock was held or Redis failed', () => {
    const held = new LockTimeoutError('stock:9', 500);
    expect(held.reason).toBe('held');
    expect(held.cause).toBeUndefined();
    const outage = new LockTimeoutError('stock:9', 500, { cause: new Error('ECONNREFUSED') });
    expect(outage.reason).toBe('unavailable');
    expect(outage.message).toMatch(/Redis did not answer the last attempt: ECONNREFUSED/);
    expect(new LockTimeoutError('stock:9', 9, { kind: 'permit' }).reason).toBe('held');
  });

  it('a timeout of one attempt says so, not "within 1 ms"', () => {
    const once = new LockTimeoutError('stock:9', 0.7, { waitTimeout: 0 });
    expect(once.message).toMatch(
      /^Could not acquire lock "stock:9" on the first attempt \(waitTimeout: 0\)\. It is held/,
    );
    expect(once.message).not.toMatch(/within/);
    expect(new LockTimeoutError('stock:9', 0.7, { waitTimeout: 5 }).message).toMatch(/within 1 ms/);
  });
});
