import fc from 'fast-check';
import { LockKeyError } from '../../lib/errors/lock-key.error.js';
import { compileLockKey } from '../../lib/key/lock-key-template.js';

const identifier = fc
  .stringMatching(/^[a-z_$][a-zA-Z0-9_$]{0,10}$/)
  .filter((name) => !['constructor', '__proto__', 'prototype'].includes(name));
/** Values that may name a lock, with the text they give. */
const goodValue = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }).map((v) => [v, v] as const),
  fc.integer().map((v) => [v, String(v)] as const),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => [v, String(v)] as const),
  fc.bigInt().map((v) => [v, String(v)] as const),
  fc.boolean().map((v) => [v, String(v)] as const),
);
const badValue = fc.oneof(
  fc.constantFrom(undefined, null, '', NaN, Infinity, -Infinity),
  fc.object(),
  fc.array(fc.string()),
);

function method(...names: string[]): (...args: unknown[]) => unknown {
  return new Function(...names, 'return 1') as (...args: unknown[]) => unknown;
}

describe('@DistributedLock key templates', () => {
  it('fills a placeholder by parameter name, and by position', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(identifier, { minLength: 1, maxLength: 4 }),
        goodValue,
        fc.nat(3),
        (names, [value, text], pick) => {
          const index = pick % names.length;
          const args = names.map((_, i) => (i === index ? value : 'other'));
          const byName = compileLockKey(`order:<${names[index]}>`).bind(method(...names), 'T.m()');
          const byIndex = compileLockKey(`order:<${index}>`).bind(method(...names), 'T.m()');
          expect(byName(args)).toBe(`order:${text}`);
          expect(byIndex(args)).toBe(`order:${text}`);
        },
      ),
    );
  });

  it('follows property paths from a named or positional argument', () => {
    fc.assert(
      fc.property(
        fc.array(identifier, { minLength: 1, maxLength: 4 }),
        goodValue,
        (path, [value, text]) => {
          let nested: unknown = value;
          for (const property of [...path].reverse()) nested = { [property]: nested };
          const key = `{tenant:<0.${path.join('.')}>}:x:<dto.${path.join('.')}>`;
          const resolve = compileLockKey(key).bind(method('dto'), 'T.m()');
          expect(resolve([nested])).toBe(`{tenant:${text}}:x:${text}`);
        },
      ),
    );
    const items = compileLockKey('line:<order.items.1.sku>').bind(method('order'), 'T.m()');
    expect(items([{ items: [{ sku: 'a' }, { sku: 'b' }] }])).toBe('line:b');
  });

  it('never builds a key from undefined, null, empty, objects, arrays or non-finite numbers', () => {
    fc.assert(
      fc.property(badValue, fc.boolean(), (value, nested) => {
        const resolve = compileLockKey(nested ? 'order:<dto.id>' : 'order:<orderId>').bind(
          method(nested ? 'dto' : 'orderId'),
          'Orders.buy()',
        );
        let error: unknown;
        try {
          resolve([nested ? { id: value } : value]);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(LockKeyError);
        expect((error as LockKeyError).message).toMatch(
          /Orders\.buy\(\).*cannot name a lock.*not run/,
        );
        expect((error as LockKeyError).placeholder).toBe(nested ? '<dto.id>' : '<orderId>');
      }),
    );
    const missingParent = compileLockKey('order:<dto.customer.id>').bind(method('dto'), 'T.m()');
    expect(() => missingParent([{}])).toThrow(/dto\.customer.*is undefined/);
    expect(() => missingParent([undefined])).toThrow(LockKeyError);
  });

  it('keeps text, {hash tags} and several placeholders in order', () => {
    const resolve = compileLockKey('{tenant:<tenantId>}:order:<orderId>:<1>').bind(
      method('tenantId', 'orderId'),
      'T.m()',
    );
    expect(resolve(['t1', 42])).toBe('{tenant:t1}:order:42:42');
  });

  it('resolves a list of templates into a multi-key lock', () => {
    const resolve = compileLockKey(['account:<from>', 'account:<to>']).bind(
      method('from', 'to'),
      'T.m()',
    );
    expect(resolve(['a', 'b'])).toEqual(['account:a', 'account:b']);
  });

  it('calls a key function with the arguments and checks what it returns', () => {
    const resolve = compileLockKey((id: string, n: number) => `job:${id}:${n}`).bind(
      method(),
      'T.m()',
    );
    expect(resolve(['x', 3])).toBe('job:x:3');
    const bad = compileLockKey(() => 42 as unknown as string).bind(method(), 'Jobs.run()');
    expect(() => bad([])).toThrow(/key function of @DistributedLock on Jobs\.run\(\) returned 42/);
  });

  it('rejects malformed templates when the decorator is applied', () => {
    for (const template of [
      'order:<',
      'order:<>',
      'order:>x',
      'order:<a b>',
      'order:<a..b>',
      'order:<-1>',
      '',
    ]) {
      expect(() => compileLockKey(template)).toThrow(LockKeyError);
    }
    for (const source of [undefined, 42, {}, [], [1]]) {
      expect(() => compileLockKey(source)).toThrow(LockKeyError);
    }
  });

  it('rejects a placeholder that names no parameter, listing the parameters and suggesting positions', () => {
    expect(() =>
      compileLockKey('order:<orderID>').bind(method('orderId', 'dto'), 'Orders.buy()'),
    ).toThrow(
      /<orderID> names no parameter \(the parameters are 'orderId', 'dto'\).*position like '<0>'.*function key/,
    );
  });

  it('explains that names cannot be read from a method already wrapped into (...args)', () => {
    const wrapped = function (...args: unknown[]): unknown {
      return args;
    };
    expect(() => compileLockKey('order:<orderId>').bind(wrapped, 'Orders.buy()')).toThrow(
      /cannot be read from the method.*\(\.\.\.args\).*positions like 'order:<0>'/,
    );
    // Positions need no names.
    expect(compileLockKey('order:<0>').bind(wrapped, 'Orders.buy()')(['7'])).toBe('order:7');
  });
});
