import fc from 'fast-check';
import { InvalidLockOptionsError } from '../../lib/core/index.js';
import {
  MAX_TIMER_MS,
  validateKey,
  validateTtl,
  validateWaitTimeout,
} from '../../lib/core/options/validation.js';

const MAX = 1024;

/** Keys a user would build from real values. */
const goodKey = fc
  .tuple(
    fc.constantFrom('order', 'stock', 'job', 'account', '{tenant:7}:order', 'café'),
    fc.array(
      fc.oneof(fc.nat().map(String), fc.uuid(), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)),
      {
        minLength: 0,
        maxLength: 4,
      },
    ),
  )
  .map(([name, parts]) => [name, ...parts].join(':'));

describe('validateKey', () => {
  it('accepts keys built from real values, unchanged', () => {
    fc.assert(fc.property(goodKey, (key) => validateKey(key, MAX) === key));
  });

  it('accepts any non-empty string without the reserved start or a broken interpolation', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: MAX }), (key) => {
        fc.pre(!key.startsWith('#'));
        fc.pre(!/(^|[^A-Za-z0-9_$])(undefined|NaN)($|[^A-Za-z0-9_$])/.test(key));
        fc.pre(!key.includes('[object '));
        return validateKey(key, MAX) === key;
      }),
    );
  });

  it('rejects every non-string with an InvalidLockOptionsError on "key", never coercing it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer(),
          fc.double(),
          fc.boolean(),
          fc.constant(null),
          fc.constant(undefined),
          fc.object(),
          fc.array(fc.string()),
          fc.bigInt(),
        ),
        (value) => {
          try {
            validateKey(value, MAX);
            return false;
          } catch (error) {
            return error instanceof InvalidLockOptionsError && error.option === 'key';
          }
        },
      ),
    );
  });

  it('rejects keys that read like `${undefined}`, `${NaN}` or `${object}` wherever they appear', () => {
    fc.assert(
      fc.property(
        goodKey,
        fc.constantFrom(String(undefined), String(NaN), String({})),
        fc.constantFrom(':', '/', '-', '.', '{', ' '),
        (prefix, broken, separator) => {
          expect(() => validateKey(`${prefix}${separator}${broken}`, MAX)).toThrow(
            InvalidLockOptionsError,
          );
          expect(() => validateKey(`${broken}${separator}${prefix}`, MAX)).toThrow(
            InvalidLockOptionsError,
          );
        },
      ),
    );
    // Words that merely contain those letters are fine.
    expect(validateKey('user:undefinedness', MAX)).toBe('user:undefinedness');
    expect(validateKey('bread:NaNa', MAX)).toBe('bread:NaNa');
    expect(validateKey('user:null', MAX)).toBe('user:null');
  });

  it('rejects empty, reserved and over-long keys with a message that says what to do', () => {
    expect(() => validateKey('', MAX)).toThrow(/must not be empty/);
    expect(() => validateKey('#fence', MAX)).toThrow(/reserved/);
    fc.assert(
      fc.property(fc.integer({ min: MAX + 1, max: MAX * 4 }), (length) => {
        expect(() => validateKey('k'.repeat(length), MAX)).toThrow(/limit is 1024/);
      }),
    );
  });
});

describe('validateTtl', () => {
  it('accepts whole milliseconds from 10 to the timer limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: MAX_TIMER_MS }), (ttl) => validateTtl(ttl) === ttl),
    );
  });

  it('rejects everything else, naming the option', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ max: 9 }),
          fc.double({ min: MAX_TIMER_MS + 1, max: 2 ** 53, noNaN: true }).map(Math.floor),
          fc.double({ noInteger: true }),
          fc.constantFrom(NaN, Infinity, -Infinity),
          fc.integer({ min: 10, max: 100_000 }).map(String),
          fc.constantFrom(null, undefined, true, {}, []),
        ),
        (value) => {
          try {
            validateTtl(value, 'ttl');
            return false;
          } catch (error) {
            return error instanceof InvalidLockOptionsError && error.option === 'ttl';
          }
        },
      ),
    );
    expect(() => validateTtl('5000')).toThrow(/a string: convert it with Number\(\)/);
  });
});

describe('validateWaitTimeout', () => {
  it('accepts 0, whole milliseconds and Infinity', () => {
    expect(validateWaitTimeout(0)).toBe(0);
    expect(validateWaitTimeout(Infinity)).toBe(Infinity);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TIMER_MS }),
        (ms) => validateWaitTimeout(ms) === ms,
      ),
    );
  });

  it('rejects negative, fractional, NaN and non-numbers', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ max: -1 }),
          fc.double({ noInteger: true, noDefaultInfinity: true }),
          fc.constantFrom(NaN, -Infinity, '100', null, {}),
        ),
        (value) => {
          expect(() => validateWaitTimeout(value)).toThrow(InvalidLockOptionsError);
        },
      ),
    );
  });
});
