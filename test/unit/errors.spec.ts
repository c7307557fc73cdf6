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
});
