import { InvalidLockOptionsError } from '../../lib/core/index.js';
import { resolveRedisLockModuleOptions } from '../../lib/options/resolve-module-options.js';

describe('the module options of failures: onLost, mapErrors, failFast', () => {
  const resolve = (options: object) =>
    resolveRedisLockModuleOptions({ url: 'redis://localhost:6379', ...options });

  it('default to throwing on a lost lock, answering for each transport, and not waiting for Redis', () => {
    expect(resolve({})).toMatchObject({ onLost: 'throw', mapErrors: true, failFast: false });
  });

  it('keep what is given; failFast waits 10 s unless told otherwise', () => {
    const mapper = (): undefined => undefined;
    expect(resolve({ onLost: 'ignore', mapErrors: mapper, failFast: true })).toMatchObject({
      onLost: 'ignore',
      mapErrors: mapper,
      failFast: 10_000,
    });
    expect(resolve({ mapErrors: false, failFast: { timeout: 2_500 } })).toMatchObject({
      mapErrors: false,
      failFast: 2_500,
    });
  });

  it.each<[object, RegExp]>([
    [{ onLost: 'retry' }, /onLost must be 'throw' or 'ignore'/],
    [{ mapErrors: 'yes' }, /mapErrors must be true, false or a function/],
    [{ failFast: 5_000 }, /failFast must be true, false or \{ timeout: ms \}/],
    [
      { failFast: { timeout: 0 } },
      /failFast\.timeout must be a whole number of milliseconds from 1/,
    ],
    [{ failFast: { wait: 1 } }, /Unknown failFast option "wait"/],
  ])('refuse %p, saying what is accepted', (options, message) => {
    expect(() => resolve(options)).toThrow(InvalidLockOptionsError);
    expect(() => resolve(options)).toThrow(message);
  });
});
