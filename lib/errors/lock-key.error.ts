import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';

/**
 * A `@DistributedLock` or `@DistributedSemaphore` key could not be built: a template that does
 * not fit the method (thrown when the class is defined), or an argument that cannot name a lock
 * (`undefined`, `null`, an empty string, an object, an array: thrown at call time, before the
 * method runs). A lock is never taken on a key like `order:undefined`.
 *
 * One failure, one error: a key that cannot be used is an `InvalidLockOptionsError` with
 * `option: 'key'` wherever it is refused. The engine (and `RedisLockService`, which passes its
 * keys on) throws that class itself; the decorators throw this subclass of it, which adds the
 * template and the placeholder, and which the module answers as a bad request (400): the key
 * came from the request's arguments.
 * @example
 * catch (error) {
 *   if (error instanceof InvalidLockOptionsError && error.option === 'key') ... // either layer
 * }
 * @publicApi
 */
export class LockKeyError extends InvalidLockOptionsError {
  declare readonly option: 'key';

  constructor(
    /** The key template (or a description of the key function) that failed. */
    readonly template: string,
    message: string,
    /** The placeholder that failed, for example `<dto.customer.id>`, when there is one. */
    readonly placeholder?: string,
  ) {
    super('key', message);
  }
}
