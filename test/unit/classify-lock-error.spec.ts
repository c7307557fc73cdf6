import {
  InvalidLockOptionsError,
  LockBackendError,
  LockLostError,
  LockManagerClosedError,
  LockQuorumError,
  LockTimeoutError,
  LockUpgradeError,
  SemaphoreLimitMismatchError,
} from '../../lib/core/index.js';
import { LockKeyError } from '../../lib/errors/lock-key.error.js';
import { LockServiceUnavailableError } from '../../lib/errors/lock-service-unavailable.error.js';
import { classifyLockError } from '../../lib/exceptions/classify-lock-error.util.js';

describe('what a lock error means to a client', () => {
  const outage = new Error('connect ECONNREFUSED 10.0.0.5:6379');

  it.each<[string, unknown, object]>([
    ['a held lock', new LockTimeoutError('order:1', 10), { kind: 'locked', status: 409 }],
    [
      'full permits',
      new LockTimeoutError('payments', 10, { kind: 'permit' }),
      { kind: 'locked', status: 409, message: expect.stringMatching(/at once/) },
    ],
    [
      'a timeout on a failing Redis',
      new LockTimeoutError('order:1', 10, { cause: outage }),
      { kind: 'unavailable', status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: 5 },
    ],
    [
      'a Redis error',
      new LockBackendError('order:1', 'acquire', 'x', { cause: outage }),
      { kind: 'unavailable', status: 503 },
    ],
    ['a quorum short of masters', new LockQuorumError('k', 'acquire', 1, 2, 3), { status: 503 }],
    ['a lost lock', new LockLostError('order:1', 'unconfirmed', 5), { status: 503 }],
    ['a shutdown', new LockManagerClosedError(), { status: 503 }],
    [
      'an argument that names no lock',
      new LockKeyError('order:<id>', 'x'),
      { kind: 'invalid-key', status: 400, code: 'BAD_REQUEST' },
    ],
  ])('%s', (_, error, expected) => {
    const failure = classifyLockError(error);
    expect(failure).toMatchObject({ ...expected, error });
    // Written for clients: nothing of the key, the code or the cause.
    expect(failure!.message).not.toMatch(/order|payments|ECONNREFUSED|Error/);
  });

  it.each([
    new InvalidLockOptionsError('ttl', 'x'),
    new LockUpgradeError('k'),
    new SemaphoreLimitMismatchError('k', 1, 2),
    new LockServiceUnavailableError('A.b()'),
    new Error('the application failed'),
    'not even an error',
  ])('leaves programming errors and the application’s own as they are: %p', (error) => {
    expect(classifyLockError(error)).toBeUndefined();
  });
});
