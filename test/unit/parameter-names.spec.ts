import { readParameterNames } from '../../lib/key/parameter-names.util.js';

describe('readParameterNames', () => {
  it('reads the names of plain, async, arrow and class-method functions', () => {
    class Orders {
      async buy(productId: string, quantity: number): Promise<void> {
        void productId;
        void quantity;
      }
      get(id: string): string {
        return id;
      }
    }
    expect(readParameterNames(Orders.prototype.buy)).toEqual(['productId', 'quantity']);
    expect(readParameterNames(Orders.prototype.get)).toEqual(['id']);
    expect(
      readParameterNames(function named(a: number, b: number) {
        return a + b;
      }),
    ).toEqual(['a', 'b']);
    expect(readParameterNames((from: string, to: string) => from + to)).toEqual(['from', 'to']);
    expect(readParameterNames(() => 1)).toEqual([]);
  });

  it('copes with defaults, destructuring, rest parameters, comments and strings', () => {
    const fn = new Function(
      'return function (a = f(1, 2), { x, y } = {}, [p, q], /* c, d */ b = "),(", ...rest) {}',
    )();
    expect(readParameterNames(fn)).toEqual(['a', undefined, undefined, 'b', 'rest']);
    const withLineComment = new Function('return function (first, // the first\n second) {}')();
    expect(readParameterNames(withLineComment)).toEqual(['first', 'second']);
    const trailing = new Function('return function (a, b,) {}')();
    expect(readParameterNames(trailing)).toEqual(['a', 'b']);
  });

  it('returns undefined when the names are gone: native code, or a (...args) wrapper', () => {
    expect(readParameterNames(Math.max)).toBeUndefined();
    expect(
      readParameterNames(function wrapper(...args: unknown[]) {
        return args;
      }),
    ).toBeUndefined();
    expect(
      readParameterNames(
        new Proxy(function real(a: unknown) {
          return a;
        }, {}),
      ),
    ).toBeUndefined();
  });
});
