/**
 * Any function, with whatever `this` and arguments: the decorators wrap methods of any shape.
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (this: unknown, ...args: any[]) => unknown;
