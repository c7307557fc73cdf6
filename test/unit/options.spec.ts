import fc from 'fast-check';
import { InvalidLockOptionsError } from '../../lib/core/index.js';
import { resolveLockManagerOptions } from '../../lib/core/options/resolve-manager-options.js';

describe('resolveLockManagerOptions', () => {
  it('fills every default once and freezes the result', () => {
    const resolved = resolveLockManagerOptions();
    expect(resolved).toMatchObject({
      keyPrefix: 'lock:',
      ttl: 30_000,
      waitTimeout: 10_000,
      autoExtend: false,
      retry: { minDelay: 50, maxDelay: 1_000, factor: 2 },
      driftFactor: 0.01,
      maxKeyLength: 1024,
    });
    expect(resolved.owner).toMatch(/:\d+$/);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.retry)).toBe(true);
  });

  it('keeps what the caller set', () => {
    fc.assert(
      fc.property(
        fc.record({
          keyPrefix: fc.string({ minLength: 1, maxLength: 20 }),
          ttl: fc.integer({ min: 10, max: 3_600_000 }),
          waitTimeout: fc.integer({ min: 0, max: 3_600_000 }),
          autoExtend: fc.boolean(),
          owner: fc.string({ maxLength: 256 }),
        }),
        (options) => {
          expect(resolveLockManagerOptions(options)).toMatchObject(options);
        },
      ),
    );
  });

  it('raises maxDelay with a minDelay above the default, instead of rejecting it', () => {
    expect(resolveLockManagerOptions({ retry: { minDelay: 5_000 } }).retry.maxDelay).toBe(5_000);
  });

  it('rejects a misspelled or invalid option, naming it', () => {
    const cases: Array<[unknown, string]> = [
      [{ timeout: 5 }, 'timeout'],
      [{ keyPrefix: '' }, 'keyPrefix'],
      [{ keyPrefix: 5 }, 'keyPrefix'],
      [{ ttl: 0 }, 'ttl'],
      [{ waitTimeout: -1 }, 'waitTimeout'],
      [{ retry: { minDelay: 0 } }, 'retry.minDelay'],
      [{ retry: { factor: 0.5 } }, 'retry.factor'],
      [{ retry: { jitter: true } }, 'jitter'],
      [{ driftFactor: -0.1 }, 'driftFactor'],
      [{ owner: 'x'.repeat(300) }, 'owner'],
      [{ maxKeyLength: 0 }, 'maxKeyLength'],
      [{ subscriber: {} }, 'subscriber'],
      ['options', 'options'],
    ];
    for (const [options, option] of cases) {
      let error: unknown;
      try {
        resolveLockManagerOptions(options as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidLockOptionsError);
      expect((error as InvalidLockOptionsError).option).toBe(option);
    }
  });
});
